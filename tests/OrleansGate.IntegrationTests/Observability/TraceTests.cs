using System.Collections.Concurrent;
using System.Diagnostics;
using OrleansGate.Edge.Telemetry;
using OrleansGate.IntegrationTests.Fixtures;
using OrleansGate.Postgres.Protocol;

namespace OrleansGate.IntegrationTests.Observability;

/// <summary>
/// Traces from the edge to the grain to the target: a login's span holds the agent grain's registration (Orleans' own
/// spans, one trace) and the dial to the target; each statement's decision span is the parent of its span at the target.
/// Spans carry ids, names and outcomes only: never the token, the statement or a value.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class TraceTests(GatewayFixture fixture)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_login_and_a_statement_are_traced_from_the_edge_through_the_agent_grain_to_the_target()
    {
        var spans = new ConcurrentQueue<Activity>();
        var upstreamEnded = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == EdgeTelemetry.Name || source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                spans.Enqueue(activity);
                if (activity.OperationName == EdgeTelemetry.UpstreamSpan)
                {
                    upstreamEnded.TrySetResult();
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var token = await fixture.Node.GetTokenAsync();
        await using var client = await RawPgClient.ConnectAsync(fixture.Node.Settings.PostgresPort);
        var login = await client.LoginAsync(GatewaySettings.AgentClientId, GatewaySettings.TargetName, token);
        Assert.Equal('Z', login[^1].Code);

        // The login span is this connection's: the gateway saw this client's port.
        var loginSpan = Assert.Single(spans, s => s.OperationName == EdgeTelemetry.LoginSpan
            && Equals(s.GetTagItem("client.port"), client.LocalEndPoint.Port));
        Assert.Equal(ActivityKind.Server, loginSpan.Kind);
        Assert.Equal("ok", loginSpan.GetTagItem("orleansgate.outcome"));
        var sessionId = Assert.IsType<string>(loginSpan.GetTagItem("orleansgate.session"));
        Assert.Equal(GatewaySettings.TargetName, loginSpan.GetTagItem("orleansgate.target"));
        var trace = loginSpan.TraceId;

        var registration = spans.Where(s => s.TraceId == trace && s.Source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal)).ToList();
        Assert.Contains(registration, s => s.DisplayName.Contains("RegisterSession", StringComparison.Ordinal) && s.Kind == ActivityKind.Client);
        Assert.Contains(registration, s => s.DisplayName.Contains("RegisterSession", StringComparison.Ordinal) && s.Kind == ActivityKind.Server);
        var connect = Assert.Single(spans, s => s.OperationName == EdgeTelemetry.UpstreamConnectSpan && s.TraceId == trace);
        Assert.Equal(loginSpan.SpanId, connect.ParentSpanId);
        Assert.Equal(GatewaySettings.TargetName, connect.GetTagItem("orleansgate.target"));

        await client.SendAsync(w => FrontendWriter.Query(w, "SELECT id, name FROM customers ORDER BY id LIMIT 2"));
        var answer = await client.ReadUntilReadyAsync();
        Assert.DoesNotContain(answer, m => m.Code == 'E');
        await upstreamEnded.Task.WaitAsync(Wait);

        var decide = Assert.Single(spans, s => s.OperationName == EdgeTelemetry.DecideSpan && Equals(s.GetTagItem("orleansgate.session"), sessionId));
        Assert.Equal("Allow", decide.GetTagItem("orleansgate.effect"));
        Assert.NotNull(decide.GetTagItem("orleansgate.rule"));
        var upstream = Assert.Single(spans, s => s.OperationName == EdgeTelemetry.UpstreamSpan && s.ParentSpanId == decide.SpanId);
        Assert.Equal(decide.TraceId, upstream.TraceId);
        Assert.Equal(ActivityKind.Client, upstream.Kind);
        Assert.Equal("ok", upstream.GetTagItem("orleansgate.outcome"));
        Assert.Equal(2L, Convert.ToInt64(upstream.GetTagItem("db.response.returned_rows"), System.Globalization.CultureInfo.InvariantCulture));
        Assert.True(upstream.StartTimeUtc >= decide.StartTimeUtc, "the statement's span at the target starts after its decision began");

        // Nothing secret in any span of this session: the token and the statement's text are in no tag.
        foreach (var span in spans.Where(s => s.TraceId == trace || s.TraceId == decide.TraceId))
        {
            foreach (var tag in span.TagObjects)
            {
                var text = tag.Value?.ToString() ?? "";
                Assert.DoesNotContain(token, text, StringComparison.Ordinal);
                Assert.DoesNotContain("customers", text, StringComparison.Ordinal);
            }
        }
    }
}
