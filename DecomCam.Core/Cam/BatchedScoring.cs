using static TorchSharp.torch;

namespace DecomCamNet.Cam;

/// <summary>
/// Scores many items in batches without gradients, so that peak memory is bounded by one batch: each batch runs in its
/// own dispose scope and copies its rows into one result allocated by the first batch, so nothing else grows with the
/// number of batches. Shared by the methods' masked forwards (<see cref="CamContext.ScoreInBatches"/>) and the
/// evaluation metrics.
/// </summary>
public static class BatchedScoring
{
    /// <summary>
    /// Calls <paramref name="score"/> for items [start, start+length), in order, with length at most
    /// <paramref name="batchSize"/>; it returns one row per item ([length] or [length,...]), which is copied into the
    /// result [<paramref name="count"/>,...] and may be disposed with its batch. Checks <paramref name="cancellationToken"/>
    /// before each batch and, when both are given, reports progress as <paramref name="stage"/> after each one.
    /// </summary>
    /// <returns>The rows of every batch, [count,...], owned by the caller's dispose scope.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count or batch size below 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="score"/> returned a tensor that is not one row per item.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested between batches.</exception>
    public static Tensor Run(long count, int batchSize, Func<long, long, Tensor> score, CancellationToken cancellationToken,
        IProgress<CamProgress>? progress = null, string? stage = null)
    {
        ArgumentNullException.ThrowIfNull(score);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "There must be at least one item to score.");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be at least 1.");
        return Run(count, _ => batchSize, score, cancellationToken, progress, stage);
    }

    /// <summary>
    /// As <see cref="Run(long, int, Func{long, long, Tensor}, CancellationToken, IProgress{CamProgress}?, string?)"/>, with
    /// batches of varying length: <paramref name="nextLength"/> gets the start of each batch and returns its length (at
    /// least 1; capped at the items left). <see cref="MaskedForwardTuner"/> varies the batches this way while it tunes.
    /// </summary>
    /// <returns>The rows of every batch, [count,...], owned by the caller's dispose scope.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count below 1, or <paramref name="nextLength"/> returned a length below 1.</exception>
    /// <exception cref="ArgumentException"><paramref name="score"/> returned a tensor that is not one row per item.</exception>
    /// <exception cref="OperationCanceledException">Cancellation was requested between batches.</exception>
    public static Tensor Run(long count, Func<long, long> nextLength, Func<long, long, Tensor> score, CancellationToken cancellationToken,
        IProgress<CamProgress>? progress = null, string? stage = null)
    {
        ArgumentNullException.ThrowIfNull(nextLength);
        ArgumentNullException.ThrowIfNull(score);
        if (count < 1) throw new ArgumentOutOfRangeException(nameof(count), count, "There must be at least one item to score.");
        Tensor? result = null;
        using var noGrad = no_grad();
        try
        {
            for (long start = 0, length; start < count; start += length)
            {
                cancellationToken.ThrowIfCancellationRequested();
                long wanted = nextLength(start);
                if (wanted < 1) throw new ArgumentOutOfRangeException(nameof(nextLength), wanted, "A batch must hold at least one item.");
                length = Math.Min(wanted, count - start);
                using (var scope = NewDisposeScope())
                {
                    var rows = score(start, length);
                    if (rows is null || rows.dim() == 0 || rows.shape[0] != length)
                        throw new ArgumentException($"The scoring function must return one row per item, [{length},...]; it returned [{(rows is null ? "null" : string.Join(",", rows.shape))}].", nameof(score));
                    result ??= empty(rows.shape.Skip(1).Prepend(count).ToArray(), dtype: rows.dtype, device: rows.device).MoveToOuterDisposeScope();
                    result.narrow(0, start, length).copy_(rows);
                }
                if (stage is not null) progress?.Report(new CamProgress(stage, start + length, count));
            }
        }
        catch
        {
            result?.Dispose();
            throw;
        }
        return result!;
    }
}
