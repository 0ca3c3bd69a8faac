using System.Runtime.InteropServices;
using static TorchSharp.torch;
using OnnxProto = global::Onnx;
using DataType = global::Onnx.TensorProto.Types.DataType;

namespace DecomCamNet.Onnx;

/// <summary>
/// Turns ONNX <c>TensorProto</c>s (initializers, Constant values) into CPU tensors: float16, bfloat16 and float64 become
/// float32; int8 to int64 and uint8 become int64 (shape and index arithmetic); bool stays bool. Data comes from
/// <c>raw_data</c> (little-endian), the typed fields, or an external file beside the model.
/// </summary>
internal static class OnnxTensors
{
    /// <summary>The tensor's values, or an exception message when its type or storage is not supported.</summary>
    public static Tensor ToTensor(OnnxProto.TensorProto proto, string? modelDirectory)
    {
        var shape = proto.Dims.ToArray();
        long count = shape.Aggregate(1L, (a, d) => a * d);
        if (count > int.MaxValue) throw new NotSupportedException($"tensor '{proto.Name}' has {count} elements, more than one .NET array holds");
        var raw = RawBytes(proto, modelDirectory);
        int n = (int)count;
        switch (proto.DataType)
        {
            case (int)DataType.Float:
                return tensor(raw is null ? proto.FloatData.ToArray() : Read<float>(raw, n), shape);
            case (int)DataType.Double:
                return tensor((raw is null ? proto.DoubleData.ToArray() : Read<double>(raw, n)).Select(v => (float)v).ToArray(), shape);
            case (int)DataType.Float16:
                return tensor(Bits(proto, raw, n).Select(b => (float)BitConverter.UInt16BitsToHalf(b)).ToArray(), shape);
            case (int)DataType.Bfloat16:
                return tensor(Bits(proto, raw, n).Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray(), shape);
            case (int)DataType.Int64:
                return tensor(raw is null ? proto.Int64Data.ToArray() : Read<long>(raw, n), shape);
            case (int)DataType.Int32:
                return tensor((raw is null ? proto.Int32Data.ToArray() : Read<int>(raw, n)).Select(v => (long)v).ToArray(), shape);
            case (int)DataType.Int16:
                return tensor((raw is null ? proto.Int32Data.Select(v => (short)v).ToArray() : Read<short>(raw, n)).Select(v => (long)v).ToArray(), shape);
            case (int)DataType.Int8:
                return tensor((raw is null ? proto.Int32Data.Select(v => (sbyte)v).ToArray() : Read<sbyte>(raw, n)).Select(v => (long)v).ToArray(), shape);
            case (int)DataType.Uint8:
                return tensor((raw is null ? proto.Int32Data.Select(v => (byte)v).ToArray() : raw.ToArray()).Select(v => (long)v).ToArray(), shape);
            case (int)DataType.Bool:
                return tensor((raw is null ? proto.Int32Data.Select(v => v != 0).ToArray() : raw.Select(v => v != 0).ToArray()), shape);
            default:
                throw new NotSupportedException($"tensor '{proto.Name}' has data type {(DataType)proto.DataType}, which is not supported");
        }
    }

    /// <summary>The values of a small integer tensor (shapes, axes, pads) as <see cref="long"/>s.</summary>
    public static long[] ToLongs(Tensor t)
    {
        using var cpu = t.to_type(ScalarType.Int64).cpu();
        return cpu.data<long>().ToArray();
    }

    /// <summary>The values of a small tensor (scales, clip bounds) as <see cref="double"/>s.</summary>
    public static double[] ToDoubles(Tensor t)
    {
        using var cpu = t.to_type(ScalarType.Float64).cpu();
        return cpu.data<double>().ToArray();
    }

    private static T[] Read<T>(byte[] raw, int n) where T : struct
    {
        if (raw.Length != n * Marshal.SizeOf<T>()) throw new NotSupportedException($"raw data holds {raw.Length} bytes, not {n} values of {typeof(T).Name}");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw data is little-endian; this machine is not");
        return MemoryMarshal.Cast<byte, T>(raw).ToArray();
    }

    private static ushort[] Bits(OnnxProto.TensorProto proto, byte[]? raw, int n) =>
        raw is null ? proto.Int32Data.Select(v => (ushort)v).ToArray() : Read<ushort>(raw, n);

    private static byte[]? RawBytes(OnnxProto.TensorProto proto, string? modelDirectory)
    {
        if (proto.DataLocation != OnnxProto.TensorProto.Types.DataLocation.External)
            return proto.RawData.IsEmpty ? null : proto.RawData.ToByteArray();
        var entries = proto.ExternalData.ToDictionary(e => e.Key, e => e.Value);
        if (!entries.TryGetValue("location", out var location))
            throw new NotSupportedException($"tensor '{proto.Name}' is stored externally without a location");
        if (modelDirectory is null)
            throw new NotSupportedException($"tensor '{proto.Name}' is stored in the external file '{location}'; load the model from a file path");
        var path = Path.GetFullPath(Path.Combine(modelDirectory, location));
        long offset = entries.TryGetValue("offset", out var o) ? long.Parse(o, System.Globalization.CultureInfo.InvariantCulture) : 0;
        using var file = File.OpenRead(path);
        long length = entries.TryGetValue("length", out var l) ? long.Parse(l, System.Globalization.CultureInfo.InvariantCulture) : file.Length - offset;
        var bytes = new byte[checked((int)length)];
        file.Seek(offset, SeekOrigin.Begin);
        file.ReadExactly(bytes);
        return bytes;
    }
}
