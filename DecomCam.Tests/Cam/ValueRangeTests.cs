using DecomCamNet.Cam;
using static TorchSharp.torch;

namespace DecomCamNet.Tests.Cam;

public class ValueRangeTests
{
    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    [InlineData(float.NegativeInfinity)]
    public void OneNonFiniteValueIsFound(float bad)
    {
        using var scope = NewDisposeScope();
        var t = zeros(2, 3, 5, 5);
        Assert.True(ValueRange.AllFinite(t));
        t[1, 2, 4, 3] = tensor(bad);
        Assert.False(ValueRange.AllFinite(t));
        Assert.Equal(new[] { 0 }, ValueRange.ZeroRows(t)); // NaN makes its row non-zero
    }

    [Fact]
    public void ZeroRowsHoldZerosOnly()
    {
        using var scope = NewDisposeScope();
        var t = zeros(4, 8);
        t[0, 0] = tensor(-0f);
        Assert.Equal(new[] { 0, 1, 2, 3 }, ValueRange.ZeroRows(t));
        t[3, 7] = tensor(1e-30f);
        Assert.Equal(new[] { 0, 1, 2 }, ValueRange.ZeroRows(t));
        Assert.True(ValueRange.AllFinite(t));
    }

    [Fact]
    public void IntegerAndEmptyTensorsAreFinite()
    {
        using var scope = NewDisposeScope();
        Assert.True(ValueRange.AllFinite(arange(10L)));
        Assert.True(ValueRange.AllFinite(empty(0, 3)));
        Assert.Empty(ValueRange.ZeroRows(empty(0, 3)));
        Assert.Equal(new[] { 0, 1 }, ValueRange.ZeroRows(empty(2, 0))); // rows without values count as zero
    }
}
