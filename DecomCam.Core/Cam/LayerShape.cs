namespace DecomCamNet.Cam;

/// <summary>
/// A layer a CAM can explain, as <see cref="LayerShapes.Explainable"/> found it: its output's shape, and the feature map
/// <c>[N,C,h,w]</c> it becomes under <see cref="Reshape"/>.
/// </summary>
/// <param name="Name">The dotted module name.</param>
/// <param name="OutputShape">The shape of the layer's output (tokens <c>[N,T,C]</c>, a grid <c>[N,h,w,C]</c>, a feature map).</param>
/// <param name="FeatureMapShape">The shape of the feature map the CAM sees.</param>
/// <param name="Reshape">The reshape that makes the feature map: the one asked for, or <see cref="ActivationReshape.None"/>
/// for a feature-map output that the one asked for does not accept.</param>
public sealed record LayerShape(string Name, long[] OutputShape, long[] FeatureMapShape, ActivationReshape Reshape);
