using System.Buffers.Binary;

namespace DecomCamNet.Imaging;

/// <summary>
/// Structural checks of PNG and JPEG files that catch truncation, which decoders often forgive silently (a cut PNG or
/// JPEG can decode to an image whose lower part is grey or black). The checks walk the chunk / marker structure only;
/// they decode nothing.
/// </summary>
internal static class ImageFileStructure
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Whether <paramref name="data"/> starts with the PNG signature.</summary>
    public static bool IsPng(ReadOnlySpan<byte> data) => data.StartsWith(PngSignature);

    /// <summary>Whether <paramref name="data"/> starts with a JPEG start-of-image marker.</summary>
    public static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

    /// <summary>
    /// Returns <c>null</c> when the PNG's chunks are complete up to IEND, or a description of where it is cut short.
    /// </summary>
    public static string? FindPngProblem(ReadOnlySpan<byte> data)
    {
        long pos = PngSignature.Length;
        bool sawData = false;
        while (true)
        {
            if (pos + 8 > data.Length)
                return $"the PNG file is truncated: it ends at byte {data.Length} before the IEND chunk{(sawData ? "" : " (and before any image data)")}";
            uint length = BinaryPrimitives.ReadUInt32BigEndian(data.Slice((int)pos, 4));
            var type = data.Slice((int)pos + 4, 4);
            string typeName = System.Text.Encoding.ASCII.GetString(type);
            if (length > int.MaxValue)
                return $"the PNG file is corrupt: chunk '{typeName}' at byte {pos} declares an impossible length {length}";
            long end = pos + 8 + length + 4; // header, data, CRC
            if (end > data.Length)
                return $"the PNG file is truncated: chunk '{typeName}' at byte {pos} needs {length + 12} bytes but only {data.Length - pos} remain";
            if (typeName == "IDAT")
                sawData = true;
            if (typeName == "IEND")
                return null;
            pos = end;
        }
    }

    /// <summary>
    /// Returns <c>null</c> when the JPEG's marker segments and entropy-coded scans run to an end-of-image marker, or a
    /// description of where it is cut short.
    /// </summary>
    public static string? FindJpegProblem(ReadOnlySpan<byte> data)
    {
        int pos = 2; // after SOI
        int scans = 0;
        while (true)
        {
            // Find the next marker: skip stray bytes, then any 0xFF fill bytes.
            while (pos < data.Length && data[pos] != 0xFF)
                pos++;
            while (pos < data.Length && data[pos] == 0xFF)
                pos++;
            if (pos >= data.Length)
                return Truncated(data.Length, scans);
            byte marker = data[pos++];
            if (marker == 0xD9) // EOI
                return scans == 0 ? "the JPEG file has no image data: it reaches its end-of-image marker before any scan" : null;
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0xD8)
                continue; // stand-alone markers carry no length
            if (pos + 2 > data.Length)
                return Truncated(data.Length, scans);
            int length = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(pos, 2));
            if (length < 2)
                return $"the JPEG file is corrupt: marker 0xFF{marker:X2} at byte {pos - 2} declares an impossible length {length}";
            if (pos + length > data.Length)
                return $"the JPEG file is truncated: segment 0xFF{marker:X2} at byte {pos - 2} needs {length} bytes but only {data.Length - pos} remain";
            pos += length;
            if (marker != 0xDA) // not start-of-scan
                continue;
            scans++;
            // Entropy-coded data: runs until a 0xFF that is followed by neither 0x00 (stuffing) nor a restart marker.
            while (true)
            {
                int ff = data[pos..].IndexOf((byte)0xFF);
                if (ff < 0)
                    return Truncated(data.Length, scans);
                pos += ff;
                if (pos + 1 >= data.Length)
                    return Truncated(data.Length, scans);
                byte next = data[pos + 1];
                if (next == 0x00 || (next >= 0xD0 && next <= 0xD7) || (next == 0xFF && IsFillBeforeRestart(data, pos)))
                {
                    pos += 2;
                    continue;
                }
                break; // pos is at the 0xFF of the next marker
            }
        }
    }

    // 0xFF 0xFF ... 0xD0-0xD7: fill bytes before a restart marker belong to the scan.
    private static bool IsFillBeforeRestart(ReadOnlySpan<byte> data, int pos)
    {
        int i = pos;
        while (i < data.Length && data[i] == 0xFF)
            i++;
        return i < data.Length && data[i] >= 0xD0 && data[i] <= 0xD7;
    }

    private static string Truncated(int length, int scans) =>
        $"the JPEG file is truncated: it ends at byte {length} before the end-of-image marker{(scans == 0 ? " (and before any image data)" : " (inside the compressed image data)")}";
}
