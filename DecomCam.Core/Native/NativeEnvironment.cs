using System.Runtime.InteropServices;

namespace DecomCamNet.Native;

/// <summary>
/// The native (C library) environment, which libtorch and OpenMP read; .NET's own environment is a separate copy on Unix.
/// </summary>
internal static class NativeEnvironment
{
    /// <summary>Sets <paramref name="name"/> to <paramref name="value"/> unless it is set already.</summary>
    /// <returns>True when the variable is set afterwards; false where the C library has no <c>setenv</c>.</returns>
    public static bool SetIfUnset(string name, string value)
    {
        try
        {
            return Native.setenv(name, value, 0) == 0;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    private static class Native
    {
        [DllImport("libc", EntryPoint = "setenv")]
        public static extern int setenv(string name, string value, int overwrite);
    }
}
