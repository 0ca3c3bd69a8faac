using DecomCamNet.Evaluation.Runs;

namespace DecomCamNet.Cli;

/// <summary>A mask image named on the command line (<see cref="MaskImage"/>): a missing file is a usage error.</summary>
internal static class MaskFile
{
    /// <exception cref="CliException">The file does not exist.</exception>
    public static (bool[] Mask, int Width, int Height) Read(string path)
    {
        try { return MaskImage.Read(path); }
        catch (FileNotFoundException e) { throw new CliException(e.Message); }
    }
}
