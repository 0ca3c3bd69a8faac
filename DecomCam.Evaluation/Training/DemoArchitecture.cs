namespace DecomCamNet.Evaluation.Training;

/// <summary>Which demo model <see cref="DemoTrainer"/> trains.</summary>
public enum DemoArchitecture
{
    /// <summary>The CAM-friendly CNN <see cref="Models.SceneNet"/> (zoo name <c>scenenet</c>).</summary>
    SceneNet,

    /// <summary>A small <see cref="Models.VisionTransformer"/> of <see cref="Models.VisionTransformerConfig.SceneVit"/>
    /// (zoo name <c>scenevit</c>).</summary>
    Vit,
}
