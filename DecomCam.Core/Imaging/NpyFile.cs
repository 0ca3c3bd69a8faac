using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace DecomCamNet.Imaging;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files holding float arrays, for exchanging maps and tensors with Python.
/// </summary>
/// <remarks>
/// Reading accepts format versions 1.0, 2.0 and 3.0, little-endian <c>&lt;f4</c> (float32), <c>&lt;f2</c> (float16) and
/// <c>&lt;f8</c> (float64), both converted to float32, C order, any rank (including 0-d scalars and empty arrays). Big-endian data, Fortran order,
/// and every other dtype are rejected with an <see cref="InvalidDataException"/> that names the file and the problem.
/// Writing produces version 1.0, C order, <c>&lt;f4</c> or (<see cref="NpyDtype.Float16"/>) <c>&lt;f2</c>, as <c>numpy.save</c>
/// does for a float32 or float16 array.
/// </remarks>
public static partial class NpyFile
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads a <c>.npy</c> file into a float32 tensor of the stored shape.</summary>
    /// <param name="path">The file.</param>
    /// <param name="device">Device for the result; <c>null</c> means the CPU.</param>
    /// <returns>A new tensor the caller owns.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid <c>.npy</c> file, has an unsupported dtype or layout, or its data is truncated.</exception>
    public static Tensor Read(string path, Device? device = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"NPY file '{path}' was not found.", path);
        var (values, shape) = ReadArray(File.ReadAllBytes(path), path);
        if (device is null || device.type == DeviceType.CPU)
            return torch.tensor(values, shape);
        using var cpu = torch.tensor(values, shape);
        return cpu.to(device);
    }

    /// <summary>
    /// Reads the bytes of a <c>.npy</c> file (for example a response body) as float32 values in C order and the stored
    /// shape, without creating a tensor. Accepts what <see cref="Read(string, Device?)"/> accepts.
    /// </summary>
    /// <param name="bytes">The whole file.</param>
    /// <param name="source">Names the bytes in error messages (a file name or URL).</param>
    /// <exception cref="InvalidDataException">The bytes are not a valid <c>.npy</c> file, have an unsupported dtype or layout, or the data is truncated.</exception>
    public static (float[] Values, long[] Shape) ReadArray(byte[] bytes, string source = "(bytes)")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var (dtype, shape, dataOffset) = ParseHeader(source, bytes);

        int itemSize = dtype switch { "<f8" => 8, "<f2" => 2, _ => 4 };
        long count = 1;
        foreach (long d in shape)
        {
            count *= d;
            if (count > int.MaxValue)
                throw Bad(source, $"shape ({string.Join(", ", shape)}) has more than {int.MaxValue} elements, which this reader does not support");
        }
        long expected = count * itemSize;
        long found = bytes.Length - dataOffset;
        if (found != expected)
        {
            string what = found < expected ? "truncated data" : "unexpected bytes after the data";
            throw Bad(source, $"{what}: expected {expected} bytes for shape ({string.Join(", ", shape)}) of {dtype}, found {found}");
        }

        ReadOnlySpan<byte> payload = bytes.AsSpan(dataOffset);
        var values = new float[count];
        if (itemSize == 4)
        {
            if (BitConverter.IsLittleEndian)
                MemoryMarshal.Cast<byte, float>(payload).CopyTo(values);
            else
                for (int i = 0; i < values.Length; i++)
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(payload.Slice(4 * i, 4));
        }
        else if (itemSize == 2)
        {
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(payload.Slice(2 * i, 2));
        }
        else
        {
            for (int i = 0; i < values.Length; i++)
                values[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(payload.Slice(8 * i, 8));
        }
        return (values, shape);
    }

    /// <summary>
    /// Writes a tensor as a version 1.0 <c>.npy</c> file of float32 (or float16) values in C order. The tensor may be on
    /// any device and of any real dtype; it is copied to the CPU and converted, and is not changed.
    /// </summary>
    /// <param name="path">The file to create or overwrite; its directory is created if needed.</param>
    /// <param name="tensor">The data.</param>
    /// <param name="dtype">The stored element type: float32 (default) or float16 (rounded to nearest even).</param>
    /// <exception cref="ArgumentException">The tensor is complex or boolean, or the dtype is not one of <see cref="NpyDtype"/>.</exception>
    public static void Write(string path, Tensor tensor, NpyDtype dtype = NpyDtype.Float32)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        ArgumentNullException.ThrowIfNull(tensor);
        CheckWritable(tensor, dtype);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Write(stream, tensor, dtype);
    }

    /// <summary>
    /// Writes what <see cref="Write(string, Tensor, NpyDtype)"/> writes to <paramref name="stream"/> (for example a
    /// response body or a <see cref="MemoryStream"/>), from its current position; the stream stays open.
    /// </summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="tensor">The data.</param>
    /// <param name="dtype">The stored element type: float32 (default) or float16 (rounded to nearest even).</param>
    /// <exception cref="ArgumentException">The tensor is complex or boolean, or the dtype is not one of <see cref="NpyDtype"/>.</exception>
    public static void Write(Stream stream, Tensor tensor, NpyDtype dtype = NpyDtype.Float32)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(tensor);
        CheckWritable(tensor, dtype);
        float[] values;
        using (var scope = torch.NewDisposeScope())
        {
            var cpu = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
            values = cpu.numel() == 0 ? [] : cpu.data<float>().ToArray();
        }
        Write(stream, values, tensor.shape, dtype);
    }

    /// <summary>
    /// Writes float32 values in C order as a version 1.0 <c>.npy</c> file of float32 (or float16) values: the same file as
    /// <see cref="Write(string, Tensor, NpyDtype)"/> writes for a tensor of these values, without a tensor.
    /// </summary>
    /// <param name="path">The file to create or overwrite; its directory is created if needed.</param>
    /// <param name="values">The data in C order; its length is the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The array's shape (empty for a 0-d scalar).</param>
    /// <param name="dtype">The stored element type: float32 (default) or float16 (rounded to nearest even).</param>
    /// <exception cref="ArgumentException">A dimension is negative, the values do not fill the shape, or the dtype is not one of <see cref="NpyDtype"/>.</exception>
    public static void Write(string path, float[] values, IReadOnlyList<long> shape, NpyDtype dtype = NpyDtype.Float32)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(dir))
            Directory.CreateDirectory(dir);
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None);
        Write(stream, values, shape, dtype);
    }

    /// <summary>
    /// Writes what <see cref="Write(string, float[], IReadOnlyList{long}, NpyDtype)"/> writes to <paramref name="stream"/>,
    /// from its current position; the stream stays open.
    /// </summary>
    /// <param name="stream">A writable stream.</param>
    /// <param name="values">The data in C order; its length is the product of <paramref name="shape"/>.</param>
    /// <param name="shape">The array's shape (empty for a 0-d scalar).</param>
    /// <param name="dtype">The stored element type: float32 (default) or float16 (rounded to nearest even).</param>
    /// <exception cref="ArgumentException">A dimension is negative, the values do not fill the shape, or the dtype is not one of <see cref="NpyDtype"/>.</exception>
    public static void Write(Stream stream, float[] values, IReadOnlyList<long> shape, NpyDtype dtype = NpyDtype.Float32)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(values);
        ArgumentNullException.ThrowIfNull(shape);
        if (!Enum.IsDefined(dtype))
            throw new ArgumentException($"Unknown .npy dtype {dtype}; use {string.Join(" or ", Enum.GetNames<NpyDtype>())}.", nameof(dtype));
        if (shape.Any(d => d < 0))
            throw new ArgumentException($"Shape ({string.Join(", ", shape)}) has a negative dimension.", nameof(shape));
        if (shape.Aggregate(1L, (n, d) => n * d) != values.Length)
            throw new ArgumentException($"{values.Length} values do not fill shape ({string.Join(", ", shape)}).", nameof(values));

        string shapeText = shape.Count switch
        {
            0 => "()",
            1 => $"({shape[0].ToString(CultureInfo.InvariantCulture)},)",
            _ => "(" + string.Join(", ", shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        string descr = dtype == NpyDtype.Float16 ? "<f2" : "<f4";
        string dict = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shapeText}, }}";
        // Pad with spaces so that magic (6) + version (2) + length (2) + header ends on a 64-byte boundary, newline last.
        int unpadded = 10 + dict.Length + 1;
        int total = (unpadded + 63) / 64 * 64;
        string header = dict + new string(' ', total - unpadded) + "\n";
        if (header.Length > ushort.MaxValue)
            throw new ArgumentException($"The shape is too long for a version 1.0 .npy header (rank {shape.Count}).", nameof(shape));

        Span<byte> prefix = stackalloc byte[10];
        Magic.CopyTo(prefix);
        prefix[6] = 1;
        prefix[7] = 0;
        BinaryPrimitives.WriteUInt16LittleEndian(prefix[8..], (ushort)header.Length);
        stream.Write(prefix);
        stream.Write(Encoding.ASCII.GetBytes(header));
        stream.Write(Payload(values, dtype));
    }

    private static void CheckWritable(Tensor tensor, NpyDtype dtype)
    {
        if (tensor.is_complex() || tensor.dtype == ScalarType.Bool)
            throw new ArgumentException($"Only real-valued tensors can be written as .npy; got dtype {tensor.dtype}.", nameof(tensor));
        if (!Enum.IsDefined(dtype))
            throw new ArgumentException($"Unknown .npy dtype {dtype}; use {string.Join(" or ", Enum.GetNames<NpyDtype>())}.", nameof(dtype));
    }

    /// <summary>The values as little-endian bytes of <paramref name="dtype"/>.</summary>
    private static byte[] Payload(float[] values, NpyDtype dtype)
    {
        if (dtype == NpyDtype.Float16)
        {
            var half = new byte[2 * values.Length];
            for (int i = 0; i < values.Length; i++)
                BinaryPrimitives.WriteHalfLittleEndian(half.AsSpan(2 * i), (Half)values[i]);
            return half;
        }
        if (BitConverter.IsLittleEndian) return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        var buffer = new byte[4 * values.Length];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(buffer.AsSpan(4 * i), values[i]);
        return buffer;
    }

    private static (string Dtype, long[] Shape, int DataOffset) ParseHeader(string path, byte[] bytes)
    {
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(Magic))
            throw Bad(path, "it does not start with the .npy magic string \\x93NUMPY");
        byte major = bytes[6], minor = bytes[7];
        int lengthBytes = major switch
        {
            1 => 2,
            2 or 3 => 4,
            _ => throw Bad(path, $"format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)"),
        };
        if (bytes.Length < 8 + lengthBytes)
            throw Bad(path, "the file ends inside the header length field");
        long headerLength = lengthBytes == 2
            ? BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8, 2))
            : BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8, 4));
        long dataOffset = 8 + lengthBytes + headerLength;
        if (dataOffset > bytes.Length)
            throw Bad(path, $"the header declares {headerLength} bytes but only {bytes.Length - 8 - lengthBytes} follow");

        var headerSpan = bytes.AsSpan(8 + lengthBytes, (int)headerLength);
        string header = major == 3 ? Encoding.UTF8.GetString(headerSpan) : Encoding.Latin1.GetString(headerSpan);
        string trimmed = header.Trim();
        if (!trimmed.StartsWith('{') || !trimmed.EndsWith('}'))
            throw Bad(path, $"the header is not a Python dict literal: {Abbreviate(trimmed)}");

        var descr = DescrRegex().Match(header);
        if (!descr.Success)
        {
            throw Bad(path, header.Contains("'descr'", StringComparison.Ordinal)
                ? $"the dtype is structured or otherwise not a simple type, which is not supported: {Abbreviate(trimmed)}"
                : $"the header has no 'descr' (dtype) entry: {Abbreviate(trimmed)}");
        }
        string dtype = descr.Groups[1].Value;
        if (dtype is not ("<f4" or "<f8" or "<f2"))
        {
            string why = dtype.Length > 0 && dtype[0] == '>' ? "big-endian data is not supported"
                : dtype.Contains('O') ? "object arrays are not supported"
                : "only little-endian float32 ('<f4'), float16 ('<f2') and float64 ('<f8') are supported";
            throw Bad(path, $"dtype '{dtype}': {why}");
        }

        var fortran = FortranRegex().Match(header);
        if (!fortran.Success)
            throw Bad(path, $"the header has no 'fortran_order' entry: {Abbreviate(trimmed)}");
        if (fortran.Groups[1].Value == "True")
            throw Bad(path, "the data is in Fortran (column-major) order, which is not supported; save a C-ordered array (numpy.ascontiguousarray)");

        var shapeMatch = ShapeRegex().Match(header);
        if (!shapeMatch.Success)
            throw Bad(path, $"the header has no readable 'shape' entry: {Abbreviate(trimmed)}");
        var shape = new List<long>();
        foreach (string part in shapeMatch.Groups[1].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            string digits = part.EndsWith('L') ? part[..^1] : part;
            if (!long.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out long d))
                throw Bad(path, $"the shape ({shapeMatch.Groups[1].Value}) is not a tuple of non-negative integers");
            shape.Add(d);
        }
        return (dtype, shape.ToArray(), (int)dataOffset);
    }

    private static string Abbreviate(string s) => s.Length <= 200 ? s : s[..200] + "...";

    private static InvalidDataException Bad(string path, string problem) => new($"Cannot read NPY file '{path}': {problem}.");

    [GeneratedRegex(@"['""]descr['""]\s*:\s*['""]([^'""]*)['""]")]
    private static partial Regex DescrRegex();

    [GeneratedRegex(@"['""]fortran_order['""]\s*:\s*(True|False)")]
    private static partial Regex FortranRegex();

    [GeneratedRegex(@"['""]shape['""]\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
