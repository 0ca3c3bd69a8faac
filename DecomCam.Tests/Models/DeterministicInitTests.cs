using DecomCamNet.Tests.Support;

namespace DecomCamNet.Tests.Models;

public class DeterministicInitTests
{
    // Bit patterns printed by /usr/bin/python3 from reference/detinit.py (numpy float32 .view(np.uint32)).
    [Theory]
    [InlineData("input", new long[] { 2, 3, 64, 64 }, 0, 0x3F242367u)]
    [InlineData("input", new long[] { 2, 3, 64, 64 }, 1, 0x3F833C45u)]
    [InlineData("input", new long[] { 2, 3, 64, 64 }, 2, 0x3FB45CA1u)]
    [InlineData("input", new long[] { 2, 3, 64, 64 }, 12345, 0xBFDA343Eu)]
    [InlineData("input", new long[] { 2, 3, 64, 64 }, 24575, 0xBE6BBEE4u)]
    [InlineData("layer1.0.conv1.weight", new long[] { 64, 64, 3, 3 }, 0, 0xBD979863u)]
    [InlineData("layer1.0.conv1.weight", new long[] { 64, 64, 3, 3 }, 1, 0xBD9C3A0Bu)]
    [InlineData("layer1.0.conv1.weight", new long[] { 64, 64, 3, 3 }, 36863, 0x3D8A84AFu)]
    [InlineData("bn1.running_var", new long[] { 64 }, 0, 0x3F9DC087u)]
    [InlineData("bn1.running_var", new long[] { 64 }, 63, 0x3F9309ADu)]
    [InlineData("bn1.running_mean", new long[] { 64 }, 5, 0x3DB41C38u)]
    [InlineData("bn1.weight", new long[] { 64 }, 0, 0x3F47FFECu)]
    [InlineData("bn1.weight", new long[] { 64 }, 7, 0x3F5376F4u)]
    [InlineData("fc.bias", new long[] { 1000 }, 0, 0x3CBE8EB6u)]
    [InlineData("fc.bias", new long[] { 1000 }, 999, 0x3CF7D058u)]
    [InlineData("fc.weight", new long[] { 1000, 512 }, 0, 0x3A2F068Du)]
    [InlineData("fc.weight", new long[] { 1000, 512 }, 511999, 0xBDD9FB32u)]
    [InlineData("features.0.weight", new long[] { 64, 3, 3, 3 }, 3, 0xBDDF878Au)]
    [InlineData("other", new long[] { 3 }, 0, 0x3F66B9E7u)]
    [InlineData("other", new long[] { 3 }, 2, 0xBF9C3C87u)]
    [InlineData("block1.1.num_batches_tracked", new long[0], 0, 0x00000000u)]
    public void FillValueMatchesPythonBitForBit(string name, long[] shape, int index, uint expectedBits)
    {
        var values = DeterministicInit.FillValue(name, shape);
        Assert.Equal(expectedBits, BitConverter.SingleToUInt32Bits(values[index]));
    }

    [Theory]
    [InlineData("input", 0xF9D86F7Bu)]
    [InlineData("", 0x811C9DC5u)]
    [InlineData("layer4.1.conv2.weight", 0xBB75FF69u)]
    public void Fnv1aMatchesPython(string name, uint expected) => Assert.Equal(expected, DeterministicInit.Fnv1a32(name));

    [Fact]
    public void InputEqualsGoldenInputBitForBit()
    {
        var (golden, shape) = ZooGolden.ReadFloat32(ZooGolden.File("input.npy"));
        Assert.Equal(ZooGolden.InputShape, shape);
        var mine = DeterministicInit.FillValue("input", shape);
        Assert.Equal(golden.Length, mine.Length);
        for (int i = 0; i < mine.Length; i++)
        {
            if (BitConverter.SingleToUInt32Bits(golden[i]) != BitConverter.SingleToUInt32Bits(mine[i]))
                Assert.Fail($"element {i}: golden {golden[i]:R}, C# {mine[i]:R}");
        }
    }
}

public class DeterministicInitModuleTests
{
    [Theory]
    [InlineData("shapesnet")]
    [InlineData("resnet18")]
    public void FillModuleEqualsFillValueForEveryKey(string name)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        using var model = DecomCamNet.Models.ModelZoo.Create(name);
        DeterministicInit.FillModule(model);
        foreach (var (key, t) in model.state_dict())
        {
            if (!t.is_floating_point())
            {
                Assert.Equal(0L, t.sum().item<long>());
                continue;
            }
            var expected = DeterministicInit.FillValue(key, t.shape);
            var actual = t.contiguous().data<float>().ToArray();
            Assert.Equal(expected.Length, actual.Length);
            for (int i = 0; i < actual.Length; i++)
            {
                if (BitConverter.SingleToUInt32Bits(expected[i]) != BitConverter.SingleToUInt32Bits(actual[i]))
                    Assert.Fail($"{key}[{i}]: FillValue {expected[i]:R}, FillModule {actual[i]:R}");
            }
        }
    }
}
