namespace DecomCamNet.Evaluation.Scenes;

/// <summary>Scenes read back by <see cref="SceneExporter.Load"/>, with the seed and options that made them.</summary>
/// <param name="Seed">The generator's seed.</param>
/// <param name="Options">The generator's options.</param>
/// <param name="Scenes">The scenes in file order.</param>
public sealed record SceneSet(int Seed, SceneOptions Options, IReadOnlyList<Scene> Scenes);
