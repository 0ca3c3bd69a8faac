using System.Collections;
using System.Text.Json;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace DecomCamNet.Models;

/// <summary>What <see cref="StateDictLoader.Load(nn.Module, string, bool)"/> did.</summary>
public sealed class StateDictLoadResult
{
    internal StateDictLoadResult(
        string path, int tensorsLoaded, IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys,
        string? strippedPrefix)
    {
        Path = path;
        TensorsLoaded = tensorsLoaded;
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        StrippedPrefix = strippedPrefix;
    }

    /// <summary>The file that was read.</summary>
    public string Path { get; }

    /// <summary>How many model tensors (parameters and buffers) received a value from the file.</summary>
    public int TensorsLoaded { get; }

    /// <summary>Model keys the file lacked (always empty after a strict load; <c>num_batches_tracked</c> is never listed).</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>File keys the model lacks, which were ignored (always empty after a strict load).</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    /// <summary>The prefix removed from every file key (<c>"module."</c> for DataParallel checkpoints), or null.</summary>
    public string? StrippedPrefix { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"Loaded {TensorsLoaded} tensors from '{Path}'" +
        (StrippedPrefix is null ? "" : $" (stripped prefix '{StrippedPrefix}')") +
        (MissingKeys.Count > 0 ? $"; {MissingKeys.Count} missing" : "") +
        (UnexpectedKeys.Count > 0 ? $"; {UnexpectedKeys.Count} unexpected ignored" : "") + ".";
}

/// <summary>
/// Loads a PyTorch state dict (a <c>.safetensors</c> file, or a <c>torch.save(model.state_dict())</c> file with
/// extension <c>.pth</c>, <c>.pt</c> or <c>.bin</c>) into a TorchSharp module whose state-dict keys follow PyTorch's,
/// such as the <see cref="ModelZoo"/> architectures.
/// </summary>
/// <remarks>
/// Keys and shapes are checked against <c>model.state_dict()</c> before anything is copied, so a failed load leaves
/// the model untouched. A <c>"module."</c> prefix on every key (a checkpoint saved from <c>nn.DataParallel</c>) is
/// removed. Values are converted to each target tensor's dtype and device. As PyTorch does, a missing
/// <c>num_batches_tracked</c> buffer (checkpoints older than PyTorch 0.4.1, such as torchvision's ImageNet weights) is
/// tolerated and left as it is.
/// </remarks>
public static class StateDictLoader
{
    private const string DataParallelPrefix = "module.";
    private const int MaxListed = 10;

    /// <summary>Key in <see cref="Exception.Data"/> of a mismatch error: the model keys absent from the file (string[]).</summary>
    public const string MissingKeysDataKey = "MissingKeys";

    /// <summary>Key in <see cref="Exception.Data"/> of a mismatch error: the file keys absent from the model (string[]).</summary>
    public const string UnexpectedKeysDataKey = "UnexpectedKeys";

    /// <summary>Key in <see cref="Exception.Data"/> of a mismatch error: the keys whose shapes differ (string[]).</summary>
    public const string ShapeMismatchesDataKey = "ShapeMismatches";

    /// <summary>The file extensions <see cref="Load(nn.Module, string, bool)"/> understands (lower case, with the dot).</summary>
    public static IReadOnlyList<string> SupportedExtensions { get; } =
        Array.AsReadOnly(new[] { ".safetensors", ".pth", ".pt", ".bin" });

    /// <summary>Reads the state dict in <paramref name="path"/> and copies it into <paramref name="model"/>.</summary>
    /// <param name="model">The module to fill; its parameters and buffers are overwritten in place.</param>
    /// <param name="path">A <c>.safetensors</c>, <c>.pth</c>, <c>.pt</c> or <c>.bin</c> file.</param>
    /// <param name="strict">When true (default) every model key must be in the file and every file key in the model;
    /// when false, missing and unexpected keys are tolerated and reported in the result. Shapes must match either way.</param>
    /// <returns>A summary: number of tensors loaded, tolerated key differences, stripped prefix.</returns>
    /// <exception cref="ArgumentException">Empty path, or an unsupported extension.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file cannot be read as a state dict, or its keys or shapes do not fit
    /// the model (then nothing was copied, the message names the keys, and <see cref="Exception.Data"/> holds string
    /// arrays under <see cref="MissingKeysDataKey"/>, <see cref="UnexpectedKeysDataKey"/> and
    /// <see cref="ShapeMismatchesDataKey"/>).</exception>
    public static StateDictLoadResult Load(nn.Module model, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        var loaded = Read(path);
        try
        {
            return CheckAndCopy(model, path, loaded, strict);
        }
        finally
        {
            foreach (var tensor in loaded.Values)
                tensor.Dispose();
        }
    }

    /// <summary>
    /// Copies a state dict already in memory into <paramref name="model"/>, with the checks of <see cref="Load(nn.Module, string, bool)"/>
    /// (for checkpoints whose keys were renamed first, such as Hugging Face ViTs in <see cref="VitLoader"/>).
    /// </summary>
    /// <param name="model">The module to fill; its parameters and buffers are overwritten in place.</param>
    /// <param name="stateDict">The tensors by key; they are copied, not kept, and stay the caller's.</param>
    /// <param name="source">Where the tensors came from, for messages (a file name).</param>
    /// <param name="strict">As for <see cref="Load(nn.Module, string, bool)"/>.</param>
    /// <returns>A summary: number of tensors loaded, tolerated key differences, stripped prefix.</returns>
    /// <exception cref="InvalidDataException">The keys or shapes do not fit the model (then nothing was copied; see
    /// <see cref="Load(nn.Module, string, bool)"/>).</exception>
    public static StateDictLoadResult Load(nn.Module model, IReadOnlyDictionary<string, Tensor> stateDict, string source, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stateDict);
        ArgumentNullException.ThrowIfNull(source);
        return CheckAndCopy(model, source, stateDict, strict);
    }

    /// <summary>
    /// Reads the state dict in <paramref name="path"/> into new CPU tensors, by key, without a model (for architectures
    /// whose hyperparameters are inferred from the keys and shapes, such as CLIP's). The caller disposes the tensors.
    /// </summary>
    /// <exception cref="ArgumentException">Empty path, or an unsupported extension.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file cannot be read as a state dict.</exception>
    public static Dictionary<string, Tensor> Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var extension = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (!SupportedExtensions.Contains(extension))
            throw new ArgumentException(
                $"Unsupported state-dict file extension '{extension}' in '{path}'. Supported: {string.Join(", ", SupportedExtensions)}.",
                nameof(path));
        if (!File.Exists(path))
            throw new FileNotFoundException($"State-dict file not found: '{path}'.", path);
        return extension == ".safetensors" ? ReadSafetensors(path) : ReadPickle(path);
    }

    private static StateDictLoadResult CheckAndCopy(
        nn.Module model, string path, IReadOnlyDictionary<string, Tensor> loaded, bool strict)
    {
        var target = model.state_dict();

        string? strippedPrefix = null;
        var source = loaded;
        if (loaded.Count > 0
            && loaded.Keys.All(k => k.StartsWith(DataParallelPrefix, StringComparison.Ordinal))
            && !target.Keys.All(k => k.StartsWith(DataParallelPrefix, StringComparison.Ordinal)))
        {
            strippedPrefix = DataParallelPrefix;
            var stripped = new Dictionary<string, Tensor>(loaded.Count, StringComparer.Ordinal);
            foreach (var (key, tensor) in loaded)
                stripped[key[DataParallelPrefix.Length..]] = tensor;
            source = stripped;
        }

        // Like PyTorch's BatchNorm, accept checkpoints that predate the num_batches_tracked buffer.
        var missing = target.Keys
            .Where(k => !source.ContainsKey(k) && !k.EndsWith("num_batches_tracked", StringComparison.Ordinal))
            .ToList();
        var unexpected = source.Keys.Where(k => !target.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        var shapeErrors = new List<string>();
        var shapeDetails = new List<string>();
        foreach (var (key, dst) in target)
        {
            if (!source.TryGetValue(key, out var src) || ShapesCompatible(src.shape, dst.shape))
                continue;
            shapeErrors.Add(key);
            shapeDetails.Add($"{key}: file {FormatShape(src.shape)} vs model {FormatShape(dst.shape)}");
        }

        if (shapeErrors.Count > 0 || (strict && (missing.Count > 0 || unexpected.Count > 0)))
        {
            var parts = new List<string>();
            if (missing.Count > 0 && strict)
                parts.Add($"{missing.Count} missing key(s): {FormatList(missing)}");
            if (unexpected.Count > 0 && strict)
                parts.Add($"{unexpected.Count} unexpected key(s): {FormatList(unexpected)}");
            if (shapeErrors.Count > 0)
                parts.Add($"{shapeErrors.Count} shape mismatch(es): {FormatList(shapeDetails)}");
            var prefixNote = strippedPrefix is null ? "" : $" (after stripping prefix '{strippedPrefix}')";
            var error = new InvalidDataException(
                $"State dict '{path}'{prefixNote} does not match the model ({model.GetName()}); nothing was loaded. " +
                string.Join("; ", parts) + ".");
            error.Data[MissingKeysDataKey] = missing.ToArray();
            error.Data[UnexpectedKeysDataKey] = unexpected.ToArray();
            error.Data[ShapeMismatchesDataKey] = shapeErrors.ToArray();
            throw error;
        }

        int count = 0;
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            foreach (var (key, dst) in target)
            {
                if (!source.TryGetValue(key, out var src))
                    continue;
                var value = src.to(dst.dtype, dst.device);
                if (!value.shape.SequenceEqual(dst.shape))
                    value = value.reshape(dst.shape);
                dst.copy_(value);
                count++;
            }
        }

        return new StateDictLoadResult(path, count, missing, unexpected, strippedPrefix);
    }

    private static bool ShapesCompatible(long[] file, long[] model)
    {
        if (file.SequenceEqual(model))
            return true;
        // A scalar saved as [1] (or the reverse): some writers do not keep rank-0 tensors.
        return file.Length <= 1 && model.Length <= 1 && Product(file) == 1 && Product(model) == 1;
    }

    private static long Product(long[] shape)
    {
        long n = 1;
        foreach (var d in shape)
            n *= d;
        return n;
    }

    private static string FormatShape(long[] shape) => "[" + string.Join(", ", shape) + "]";

    private static string FormatList(List<string> items) =>
        string.Join(", ", items.Take(MaxListed)) + (items.Count > MaxListed ? $", ... ({items.Count - MaxListed} more)" : "");

    private static Dictionary<string, Tensor> ReadSafetensors(string path)
    {
        CheckSafetensorsHeader(path);
        try
        {
            return Safetensors.LoadStateDict(path);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidDataException($"Could not read safetensors file '{path}': {ex.Message}", ex);
        }
    }

    /// <summary>Validates the header before handing the file to PyBridge, so corrupt files fail fast and clearly.</summary>
    private static void CheckSafetensorsHeader(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            long fileLength = stream.Length;
            Span<byte> lengthBytes = stackalloc byte[8];
            if (fileLength < 8 || stream.ReadAtLeast(lengthBytes, 8, throwOnEndOfStream: false) < 8)
                throw new InvalidDataException("the file is shorter than the 8-byte header length");
            ulong headerLength = BitConverter.ToUInt64(lengthBytes);
            if (!BitConverter.IsLittleEndian)
                headerLength = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(headerLength);
            if (headerLength < 2 || headerLength > (ulong)(fileLength - 8) || headerLength > 100_000_000)
                throw new InvalidDataException($"header length {headerLength} does not fit a file of {fileLength} bytes");
            var header = new byte[(int)headerLength];
            stream.ReadExactly(header);
            long dataLength = fileLength - 8 - (long)headerLength;
            using var doc = JsonDocument.Parse(header);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException("the header is not a JSON object");
            foreach (var entry in doc.RootElement.EnumerateObject())
            {
                if (entry.Name == "__metadata__")
                    continue;
                var value = entry.Value;
                if (value.ValueKind != JsonValueKind.Object
                    || !value.TryGetProperty("dtype", out var dtype) || dtype.ValueKind != JsonValueKind.String
                    || !value.TryGetProperty("shape", out var shape) || shape.ValueKind != JsonValueKind.Array
                    || !value.TryGetProperty("data_offsets", out var offsets) || offsets.ValueKind != JsonValueKind.Array
                    || offsets.GetArrayLength() != 2)
                    throw new InvalidDataException($"header entry '{entry.Name}' lacks dtype, shape or data_offsets");
                long begin = offsets[0].GetInt64(), end = offsets[1].GetInt64();
                if (begin < 0 || end < begin || end > dataLength)
                    throw new InvalidDataException(
                        $"tensor '{entry.Name}' has data offsets [{begin}, {end}] outside the {dataLength}-byte data section");
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException
                                       or InvalidDataException or EndOfStreamException or IOException)
        {
            throw new InvalidDataException($"Could not read safetensors file '{path}': {ex.Message}", ex);
        }
    }

    private static Dictionary<string, Tensor> ReadPickle(string path)
    {
        Hashtable table;
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> signature = stackalloc byte[4];
            if (stream.ReadAtLeast(signature, 4, throwOnEndOfStream: false) < 4
                || signature[0] != 0x50 || signature[1] != 0x4B || signature[2] != 0x03 || signature[3] != 0x04)
                throw new InvalidDataException(
                    "not a zip archive; torch.save has written zip archives since PyTorch 1.6 (re-save older " +
                    "files with a current PyTorch, or convert them to safetensors)");
            stream.Position = 0;
            table = PyTorchUnpickler.UnpickleStateDict(stream, leaveOpen: true);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidDataException(
                $"Could not read PyTorch state-dict file '{path}' (expected the zip format written by torch.save(model.state_dict())): {ex.Message}",
                ex);
        }

        var result = new Dictionary<string, Tensor>(table.Count, StringComparer.Ordinal);
        string? problem = null;
        foreach (DictionaryEntry entry in table)
        {
            if (entry.Key is string key && entry.Value is Tensor tensor)
                result[key] = tensor;
            else
                problem ??= $"entry '{entry.Key}' is a {entry.Value?.GetType().Name ?? "null"}, not a tensor";
        }
        if (problem is not null)
        {
            foreach (var value in table.Values)
                (value as IDisposable)?.Dispose();
            throw new InvalidDataException(
                $"'{path}' is not a plain state dict ({problem}); save it with torch.save(model.state_dict(), path).");
        }
        return result;
    }
}
