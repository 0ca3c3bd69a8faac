using System.Text;
using System.Text.RegularExpressions;

namespace DecomCamNet.Tests.Support;

/// <summary>Minimal .npy reader for test goldens: versions 1-3, dtype '&lt;f4', C order only.</summary>
internal static partial class Npy
{
    public static (float[] Data, long[] Shape) ReadFloat32(string path)
    {
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < 10 || bytes[0] != 0x93 || Encoding.ASCII.GetString(bytes, 1, 5) != "NUMPY")
            throw new InvalidDataException($"{path}: not a .npy file");
        int major = bytes[6];
        int headerLength, offset;
        if (major == 1)
        {
            headerLength = BitConverter.ToUInt16(bytes, 8);
            offset = 10;
        }
        else
        {
            headerLength = checked((int)BitConverter.ToUInt32(bytes, 8));
            offset = 12;
        }
        var header = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetString(bytes, offset, headerLength);
        if (!DescrF4().IsMatch(header))
            throw new InvalidDataException($"{path}: dtype is not '<f4': {header}");
        if (!FortranFalse().IsMatch(header))
            throw new InvalidDataException($"{path}: not C order: {header}");
        var shapeMatch = ShapeRegex().Match(header);
        if (!shapeMatch.Success)
            throw new InvalidDataException($"{path}: no shape in header: {header}");
        var shape = shapeMatch.Groups[1].Value
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(long.Parse).ToArray();
        long count = shape.Aggregate(1L, (a, b) => a * b);
        int dataStart = offset + headerLength;
        if (bytes.Length - dataStart != count * 4)
            throw new InvalidDataException($"{path}: expected {count * 4} data bytes, found {bytes.Length - dataStart}");
        var data = new float[count];
        Buffer.BlockCopy(bytes, dataStart, data, 0, (int)count * 4);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("big-endian host");
        return (data, shape);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'<f4'")]
    private static partial Regex DescrF4();

    [GeneratedRegex(@"'fortran_order'\s*:\s*False")]
    private static partial Regex FortranFalse();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex ShapeRegex();
}
