using System.Text;
using DecomCamNet.Imaging;
using TorchSharp;
using static DecomCamNet.Tests.Imaging.ImagingTestSupport;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Imaging;

public class NpyFileTests
{
    public static TheoryData<long[]> Shapes => new()
    {
        new long[] { 2, 3, 4 },
        new long[] { 5 },
        new long[] { 1, 1, 7, 9 },
        new long[] { },
        new long[] { 0, 3 },
        new long[] { 2, 1, 1, 1, 3 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void RoundTripsFloat32Exactly(long[] shape)
    {
        using var dir = new TempDir();
        string path = dir.File("t.npy");
        torch.manual_seed(7);
        using var t = torch.randn(shape) * 1000f;
        NpyFile.Write(path, t);
        using var back = NpyFile.Read(path);
        Assert.Equal(shape, back.shape);
        Assert.Equal(ScalarType.Float32, back.dtype);
        Assert.True(t.eq(back).all().item<bool>());

        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(1, bytes[6]); // version 1.0
        Assert.Equal(0, bytes[7]);
        int headerLength = bytes[8] | (bytes[9] << 8);
        Assert.Equal(0, (10 + headerLength) % 64);
        Assert.Equal((byte)'\n', bytes[9 + headerLength]);
        Assert.Equal(10 + headerLength + 4 * t.numel(), bytes.Length);
    }

    [Theory]
    [InlineData(NpyDtype.Float32)]
    [InlineData(NpyDtype.Float16)]
    public void HostValuesWriteTheTensorsFileByteForByte(NpyDtype dtype)
    {
        using var dir = new TempDir();
        torch.manual_seed(3);
        using var t = torch.randn(3, 5, 7);
        var values = t.data<float>().ToArray();
        NpyFile.Write(dir.File("tensor.npy"), t, dtype);
        NpyFile.Write(dir.File("host.npy"), values, new long[] { 3, 5, 7 }, dtype);
        Assert.Equal(File.ReadAllBytes(dir.File("tensor.npy")), File.ReadAllBytes(dir.File("host.npy")));

        Assert.Contains("do not fill shape (3, 5, 6)", Assert.Throws<ArgumentException>(() => NpyFile.Write(dir.File("x.npy"), values, new long[] { 3, 5, 6 })).Message);
        Assert.Throws<ArgumentException>(() => NpyFile.Write(dir.File("x.npy"), values, new long[] { -3, 5, -7 }));
    }

    [Fact]
    public void StreamWritesTheFileBytesAndReadArrayReadsThemWithoutATensor()
    {
        using var dir = new TempDir();
        using var t = torch.tensor(new[] { 0f, 0.25f, 1f / 3, 1f, -2f, 7e-8f }, new long[] { 2, 3 });
        NpyFile.Write(dir.File("t.npy"), t);
        using var stream = new MemoryStream();
        stream.WriteByte(42); // written from the stream's position on
        NpyFile.Write(stream, t);
        byte[] bytes = stream.ToArray()[1..];
        Assert.Equal(File.ReadAllBytes(dir.File("t.npy")), bytes);
        var (values, shape) = NpyFile.ReadArray(bytes);
        Assert.Equal(new long[] { 2, 3 }, shape);
        Assert.Equal(new[] { 0f, 0.25f, 1f / 3, 1f, -2f, 7e-8f }, values);
        var error = Assert.Throws<InvalidDataException>(() => NpyFile.ReadArray(bytes[..^4], "response"));
        Assert.Contains("'response'", error.Message);
        Assert.Contains("truncated data", error.Message);
    }

    [Fact]
    public void WriteConvertsDtypeAndLayoutAndLeavesTheTensorAlone()
    {
        using var dir = new TempDir();
        using var d = torch.arange(6, dtype: ScalarType.Float64).reshape(2, 3) / 4.0;
        using var transposed = d.t(); // not contiguous: [[0, .75], [.25, 1], [.5, 1.25]]
        NpyFile.Write(dir.File("t.npy"), transposed);
        using var back = NpyFile.Read(dir.File("t.npy"));
        Assert.Equal(new long[] { 3, 2 }, back.shape);
        Assert.Equal(new[] { 0f, 0.75f, 0.25f, 1f, 0.5f, 1.25f }, back.flatten().data<float>().ToArray());
        Assert.Equal(ScalarType.Float64, transposed.dtype);

        string header = Encoding.ASCII.GetString(File.ReadAllBytes(dir.File("t.npy")), 10, 64);
        Assert.StartsWith("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", header);
    }

    [Fact]
    public void Float16WritesHalfPrecisionBitsAndReadsThemBackAsFloat32()
    {
        using var dir = new TempDir();
        string path = dir.File("h.npy");
        // 1/3 rounds to 0x3555 = 0.333251953125; 70000 overflows to +inf; 1e-8 is below the smallest subnormal (5.96e-8).
        using var t = torch.tensor(new[] { 0f, 1f, 0.5f, 1f / 3, -2.5f, 70000f, 1e-8f }, new long[] { 7 });
        NpyFile.Write(path, t, NpyDtype.Float16);

        byte[] bytes = File.ReadAllBytes(path);
        int data = 10 + (bytes[8] | (bytes[9] << 8));
        Assert.Equal(128, data); // the 57-character dict padded to a 64-byte boundary
        Assert.StartsWith("{'descr': '<f2', 'fortran_order': False, 'shape': (7,), }", Encoding.ASCII.GetString(bytes, 10, data - 10));
        Assert.Equal(data + 2 * 7, bytes.Length);
        var bits = Enumerable.Range(0, 7).Select(i => bytes[data + 2 * i] | (bytes[data + 1 + 2 * i] << 8)).ToArray();
        Assert.Equal(new[] { 0x0000, 0x3C00, 0x3800, 0x3555, 0xC100, 0x7C00, 0x0000 }, bits);

        using var back = NpyFile.Read(path);
        Assert.Equal(ScalarType.Float32, back.dtype);
        Assert.Equal(new[] { 0f, 1f, 0.5f, 0.333251953125f, -2.5f, float.PositiveInfinity, 0f }, back.data<float>().ToArray());
    }

    [Fact]
    public void ReadsFilesNumpyWrote()
    {
        float[] expected = Enumerable.Range(0, 24).Select(i => (i - 11.5f) / 4f).ToArray();
        foreach (string name in new[] { "numpy_f4_2x3x4.npy", "numpy_f4_v2.npy", "numpy_f4_v3.npy" })
        {
            using var t = NpyFile.Read(Golden(name), torch.CPU);
            Assert.Equal(new long[] { 2, 3, 4 }, t.shape);
            Assert.Equal(expected, t.flatten().data<float>().ToArray());
        }

        using var f8 = NpyFile.Read(Golden("numpy_f8_3x2.npy"));
        Assert.Equal(ScalarType.Float32, f8.dtype);
        Assert.Equal(new long[] { 3, 2 }, f8.shape);
        Assert.Equal(new[] { 1.5f, -2.25f, 1e-3f, 3.0e5f, MathF.PI, -MathF.E }, f8.flatten().data<float>().ToArray());

        using var scalar = NpyFile.Read(Golden("numpy_f4_scalar.npy"));
        Assert.Empty(scalar.shape);
        Assert.Equal(7.25f, scalar.item<float>());
    }

    [Theory]
    [InlineData("numpy_fortran.npy", "Fortran")]
    [InlineData("numpy_bigendian.npy", "'>f4'")]
    [InlineData("numpy_int64.npy", "'<i8'")]
    [InlineData("numpy_object.npy", "'|O'")]
    public void RejectsUnsupportedLayoutsAndDtypes(string name, string mention)
    {
        var ex = Assert.Throws<InvalidDataException>(() => NpyFile.Read(Golden(name)));
        Assert.Contains(mention, ex.Message);
        Assert.Contains(name, ex.Message);
    }

    [Fact]
    public void RejectsTruncatedAndMalformedFiles()
    {
        using var dir = new TempDir();
        byte[] good = File.ReadAllBytes(Golden("numpy_f4_2x3x4.npy")); // 128-byte header + 96 bytes of data

        string cut = dir.File("cut.npy");
        File.WriteAllBytes(cut, good.AsSpan(0, good.Length - 10).ToArray());
        var ex = Assert.Throws<InvalidDataException>(() => NpyFile.Read(cut));
        Assert.Contains("expected 96 bytes", ex.Message);
        Assert.Contains("found 86", ex.Message);
        Assert.Contains("truncated", ex.Message);

        string longer = dir.File("long.npy");
        File.WriteAllBytes(longer, [.. good, 0, 0, 0, 0]);
        Assert.Contains("found 100", Assert.Throws<InvalidDataException>(() => NpyFile.Read(longer)).Message);

        string headerCut = dir.File("header.npy");
        File.WriteAllBytes(headerCut, good.AsSpan(0, 50).ToArray());
        Assert.Contains("header declares", Assert.Throws<InvalidDataException>(() => NpyFile.Read(headerCut)).Message);

        string notNpy = dir.File("text.npy");
        File.WriteAllText(notNpy, "hello, world");
        Assert.Contains("magic", Assert.Throws<InvalidDataException>(() => NpyFile.Read(notNpy)).Message);

        string version = dir.File("v9.npy");
        byte[] v9 = (byte[])good.Clone();
        v9[6] = 9;
        File.WriteAllBytes(version, v9);
        Assert.Contains("version 9.0", Assert.Throws<InvalidDataException>(() => NpyFile.Read(version)).Message);

        Assert.Throws<FileNotFoundException>(() => NpyFile.Read(dir.File("missing.npy")));
    }
}
