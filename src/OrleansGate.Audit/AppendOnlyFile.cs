using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace OrleansGate.Audit;

/// <summary>
/// Opens a file for appending with <c>O_APPEND</c> at the OS level. .NET's <c>FileMode.Append</c> does not: on
/// Unix it opens the file for writing and seeks to the end, so a file made append-only with <c>chattr +a</c>
/// refuses it (EPERM), and a write lands at the remembered offset rather than at the end. With O_APPEND every
/// write goes to the end of the file, wherever it is by then.
/// </summary>
internal static partial class AppendOnlyFile
{
    // Linux values (x86-64 and arm64 alike); other systems fall back to FileMode.Append, see Open.
    private const int OWronly = 0x1;
    private const int OCreat = 0x40;
    private const int OAppend = 0x400;
    private const int OCloexec = 0x80000;
    private const int Mode0644 = 0x1A4;

    /// <summary>Appends <paramref name="bytes"/> in one write and fsyncs the file before returning.</summary>
    public static void AppendAndSync(string path, ReadOnlySpan<byte> bytes)
    {
        using var handle = Open(path);
        using var file = new FileStream(handle, FileAccess.Write, bufferSize: 0);

        // A positioned write on an O_APPEND descriptor still appends on Linux (pwrite(2) ignores the offset there).
        file.Write(bytes);
        file.Flush(flushToDisk: true);
    }

    /// <summary>The file opened write-only with O_APPEND (created 0644 when missing).</summary>
    public static SafeFileHandle Open(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!OperatingSystem.IsLinux())
        {
            return File.OpenHandle(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        }

        var full = Path.GetFullPath(path);
        var name = new byte[Encoding.UTF8.GetByteCount(full) + 1];
        Encoding.UTF8.GetBytes(full, name);
        var fd = OpenNative(name, OWronly | OCreat | OAppend | OCloexec, Mode0644);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot open '{full}' for appending: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})");
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

#pragma warning disable SYSLIB1054 // A byte[] path and ints need no marshalling code; LibraryImport would need unsafe blocks in this project.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    private static extern int OpenNative(byte[] path, int flags, int mode);
#pragma warning restore SYSLIB1054
}
