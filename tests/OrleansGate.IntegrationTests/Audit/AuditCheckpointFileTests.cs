using OrleansGate.Audit;
using OrleansGate.Grains.Audit;

namespace OrleansGate.IntegrationTests.Audit;

/// <summary>
/// The checkpoint file is opened with O_APPEND at the OS level (what <c>chattr +a</c> requires), which .NET's
/// FileMode.Append does not do on Linux: it seeks to the end instead.
/// </summary>
public sealed class AuditCheckpointFileTests
{
    private const int OAppend = 0x400;

    /// <summary>The open flags of a descriptor of this process, as the kernel reports them (octal in /proc).</summary>
    private static int Flags(Microsoft.Win32.SafeHandles.SafeFileHandle handle)
    {
        var line = File.ReadLines($"/proc/self/fdinfo/{handle.DangerousGetHandle()}").First(l => l.StartsWith("flags:", StringComparison.Ordinal));
        return Convert.ToInt32(line["flags:".Length..].Trim(), 8);
    }

    private static string NewPath() => Path.Combine(Directory.CreateTempSubdirectory("orleansgate-checkpoints-").FullName, "checkpoints.jsonl");

    [Fact]
    public void Checkpoint_file_is_opened_with_O_APPEND_which_FileMode_Append_does_not_set()
    {
        var path = NewPath();
        using (var ours = AppendOnlyFile.Open(path))
        {
            Assert.NotEqual(0, Flags(ours) & OAppend);
        }

        using var runtime = File.OpenHandle(path, FileMode.Append, FileAccess.Write);
        Assert.Equal(0, Flags(runtime) & OAppend);
    }

    [Fact]
    public void Checkpoint_lines_land_at_the_end_even_when_the_file_grew_after_it_was_opened()
    {
        var path = NewPath();
        using (var handle = AppendOnlyFile.Open(path))
        using (var file = new FileStream(handle, FileAccess.Write, bufferSize: 0))
        {
            file.Write("a\n"u8);
            File.AppendAllText(path, "b\n");

            // Written at the stream's own position (2) this would overwrite "b"; O_APPEND puts it after.
            file.Write("c\n"u8);
        }

        AppendOnlyFile.AppendAndSync(path, "d\n"u8);
        Assert.Equal("a\nb\nc\nd\n", File.ReadAllText(path));
        Assert.Equal(8L, new FileInfo(path).Length);
    }
}
