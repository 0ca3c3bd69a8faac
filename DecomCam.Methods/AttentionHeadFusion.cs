namespace DecomCamNet;

/// <summary>How attention rollout fuses an attention layer's heads into one [T, T] matrix.</summary>
public enum AttentionHeadFusion
{
    /// <summary>The mean over heads (Abnar and Zuidema).</summary>
    Mean,

    /// <summary>The maximum over heads.</summary>
    Max,

    /// <summary>The minimum over heads.</summary>
    Min,
}
