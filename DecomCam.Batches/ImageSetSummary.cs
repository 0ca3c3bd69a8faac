namespace DecomCamNet.Batches;

/// <summary>What an <see cref="ImageSetRun"/> did.</summary>
/// <param name="Explained">Images explained and written.</param>
/// <param name="Failed">Images that failed (rows with an error).</param>
/// <param name="Skipped">Images already in the manifest (resume).</param>
/// <param name="ModelSeconds">Time spent in the model: explaining batches and copying their maps off the device.</param>
/// <param name="WaitSeconds">Time the model waited for decoded input.</param>
/// <param name="StartupWaitSeconds">The part of <paramref name="WaitSeconds"/> before the first batch: the decoders starting
/// and the queue filling.</param>
/// <param name="WriterWaitSeconds">Time the model waited for the output stage (its queue full: the disk slower than the model).</param>
/// <param name="RetriedBatches">Batches of several images that the method refused with a <see cref="CamException"/> and
/// that were explained again one image at a time (so that only the images it refuses alone fail).</param>
public sealed record ImageSetSummary(int Explained, int Failed, int Skipped, double ModelSeconds, double WaitSeconds, double StartupWaitSeconds, double WriterWaitSeconds,
    int RetriedBatches = 0)
{
    /// <summary>The model thread's time: explaining, waiting for input and waiting for the output stage.</summary>
    public double ThreadSeconds => ModelSeconds + WaitSeconds + WriterWaitSeconds;

    /// <summary>The share of the model thread's time spent waiting for input (0 when nothing ran).</summary>
    public double WaitShare => Share(WaitSeconds, ThreadSeconds);

    /// <summary>The share of the model thread's time spent waiting for input after the first batch, when the queue had filled.</summary>
    public double SteadyWaitShare => Share(WaitSeconds - StartupWaitSeconds, ThreadSeconds - StartupWaitSeconds);

    /// <summary>The share of the model thread's time spent waiting for the output stage (0 when nothing ran).</summary>
    public double WriterWaitShare => Share(WriterWaitSeconds, ThreadSeconds);

    private static double Share(double part, double whole) => whole > 0 ? part / whole : 0;
}
