using System.Text;
using OrleansGate.Host.Mcp;

namespace OrleansGate.IntegrationTests.Mcp;

/// <summary>The <c>/api/exec</c> NDJSON answer as <c>ssh_exec</c> reads it: output kept to a cap, the final line required.</summary>
public sealed class ExecStreamReaderTests
{
    [Fact]
    public async Task Output_lines_then_exit_line_give_the_output_and_exit_code_and_each_chunk_is_reported()
    {
        var reader = new ExecStreamReader(1024);
        var chunks = new List<string>();

        await reader.ReadAsync(Body("""
            {"stream":"stdout","data":"a.log\n"}
            {"stream":"stderr","data":"warning\n"}
            {"stream":"stdout","data":"b.log\n"}
            {"exit":3,"duration_ms":12,"bytes":20,"truncated":false}
            """), (stream, data) => { chunks.Add(stream + ":" + data); return Task.CompletedTask; }, CancellationToken.None);

        Assert.Equal("a.log\nb.log\n", reader.Stdout);
        Assert.Equal("warning\n", reader.Stderr);
        Assert.Equal(3, reader.ExitCode);
        Assert.Equal(12, reader.DurationMs);
        Assert.False(reader.Truncated);
        Assert.Null(reader.Error);
        Assert.Equal(["stdout:a.log\n", "stderr:warning\n", "stdout:b.log\n"], chunks);
    }

    [Fact]
    public async Task Output_past_the_cap_is_cut_on_a_character_boundary_and_marked_truncated()
    {
        var reader = new ExecStreamReader(5);

        await reader.ReadAsync(Body("""
            {"stream":"stdout","data":"abcé"}
            {"stream":"stdout","data":"zzz"}
            {"exit":0,"duration_ms":1,"bytes":9,"truncated":false}
            """), null, CancellationToken.None);

        Assert.Equal("abcé", reader.Stdout); // 5 bytes: 'é' is two
        Assert.True(reader.Truncated);
        Assert.Equal(0, reader.ExitCode);
    }

    [Fact]
    public async Task Gateway_truncation_flag_on_the_final_line_is_kept()
    {
        var reader = new ExecStreamReader(1024);

        await reader.ReadAsync(Body("""{"exit":0,"duration_ms":1,"bytes":9,"truncated":true}"""), null, CancellationToken.None);

        Assert.True(reader.Truncated);
    }

    [Fact]
    public async Task Error_line_ends_the_stream_as_an_error()
    {
        var reader = new ExecStreamReader(1024);

        await reader.ReadAsync(Body("""
            {"stream":"stdout","data":"x"}
            {"error":"the session to web1 was lost"}
            {"exit":0}
            """), null, CancellationToken.None);

        Assert.Equal("the session to web1 was lost", reader.Error);
        Assert.Null(reader.ExitCode);
    }

    [Theory]
    [InlineData("""{"stream":"stdout","data":"x"}""")]
    [InlineData("")]
    public async Task Stream_ending_without_its_final_line_is_an_error_not_a_success(string body)
    {
        var reader = new ExecStreamReader(1024);

        await reader.ReadAsync(Body(body), null, CancellationToken.None);

        Assert.Null(reader.ExitCode);
        Assert.Contains("ended before its final line", reader.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    [InlineData("""{"something":"else"}""")]
    public async Task Line_of_no_known_shape_is_an_error(string line)
    {
        var reader = new ExecStreamReader(1024);

        await reader.ReadAsync(Body(line + "\n" + """{"exit":0}"""), null, CancellationToken.None);

        Assert.NotNull(reader.Error);
        Assert.Null(reader.ExitCode);
    }

    private static MemoryStream Body(string ndjson) => new(Encoding.UTF8.GetBytes(ndjson));
}
