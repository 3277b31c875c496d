using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using Npgsql;
using OrleansGate.IntegrationTests.Fixtures;
using static Microsoft.Playwright.Assertions;

namespace OrleansGate.IntegrationTests.Approvals;

/// <summary>
/// The approvals page in a real browser (Debian's chromium, driven by Playwright): an approver signs in at the dev IdP's
/// login form (authorization code with PKCE), sees the waiting statement in full and decides it, and the agent's
/// statement finishes with its real result.
/// </summary>
[Collection(ApprovalCollection.Name)]
public sealed partial class ApprovalPageTests(ApprovalFixture fixture) : IAsyncLifetime
{
    // Debian's package: Playwright cannot download its own browsers here. Tests run as root, hence no sandbox.
    private const string Chromium = "/usr/bin/chromium";

    private IPlaywright _playwright = null!;
    private IBrowser _browser = null!;

    /// <summary>What the browser reported as blocked by the page's Content-Security-Policy: the page must need no exception.</summary>
    private readonly List<string> _policyViolations = [];

    private string PageUrl => $"http://127.0.0.1:{fixture.Node.Settings.HttpPort}/approvals";

    public async Task InitializeAsync()
    {
        // A loaded machine (two cores shared with PostgreSQL and two nodes) needs more than Playwright's 5 s default.
        SetDefaultExpectTimeout(20_000);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new() { ExecutablePath = Chromium, Headless = true, Args = ["--no-sandbox"] });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
        {
            await _browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }

    [Fact]
    public async Task Approver_signs_in_sees_the_full_statement_approves_it_and_the_agent_gets_its_real_result()
    {
        const string Sql = "UPDATE items SET note = 'approved-in-the-browser' WHERE id = 20";
        var (agent, running, id) = await StartWaitingAsync(Sql);
        await using var session = agent;

        var page = await OpenSignedInAsync();

        var card = page.Locator($"article[data-id='{id}']");
        await Expect(card.Locator("pre.statement")).ToHaveTextAsync(Sql);
        await Expect(card).ToContainTextAsync(GatewaySettings.AgentClientId);
        await Expect(card).ToContainTextAsync(fixture.Node.Settings.Issuer);
        await Expect(card).ToContainTextAsync("orders-wait: changes need a human");
        await Expect(card).ToContainTextAsync("0 of 1 approval");
        await Expect(card.Locator(".time-left")).ToHaveTextAsync(TimeLeft());

        // The code and state left the address bar; the token is in this tab's sessionStorage only.
        Assert.Equal(PageUrl, page.Url);
        Assert.Equal(0, await page.EvaluateAsync<int>("localStorage.length"));
        Assert.Contains("access_token", await page.EvaluateAsync<string>("sessionStorage.getItem('orleansgate.approvals.token')"), StringComparison.Ordinal);
        await ScreenshotAsync(page);

        await card.GetByLabel("Comment").FillAsync("checked row 20 in the browser");
        await card.GetByRole(AriaRole.Button, new() { Name = "Approve" }).ClickAsync();

        await Expect(page.Locator("#message")).ToContainTextAsync(id);
        Assert.Equal(1, await running);
        Assert.Equal("approved-in-the-browser", await fixture.NoteAsync(20));
        await Expect(card).ToHaveCountAsync(0);

        var approval = await ApprovalAsync(id);
        Assert.Equal("approved", approval.GetProperty("status").GetString());
        var vote = Assert.Single(approval.GetProperty("votes").EnumerateArray());
        Assert.Equal(ApprovalFixture.PageUser, vote.GetProperty("approver").GetString());
        Assert.Equal("checked row 20 in the browser", vote.GetProperty("comment").GetString());
        Assert.Empty(_policyViolations);
    }

    [Fact]
    public async Task Markup_in_a_statement_is_shown_as_text_creates_no_element_and_a_deny_reaches_the_agent()
    {
        const string Sql = "UPDATE items SET note = '<img src=x onerror=alert(document.domain)><script>alert(1)</script>' WHERE id = 21";
        var (agent, running, id) = await StartWaitingAsync(Sql);
        await using var session = agent;

        var page = await OpenSignedInAsync();
        var dialogs = 0;
        page.Dialog += (_, dialog) =>
        {
            dialogs++;
            _ = dialog.DismissAsync();
        };

        var card = page.Locator($"article[data-id='{id}']");
        await Expect(card.Locator("pre.statement")).ToHaveTextAsync(Sql);
        Assert.Equal(0, await page.Locator("img").CountAsync());
        Assert.Equal(0, await page.Locator("main script").CountAsync());

        await card.GetByLabel("Comment").FillAsync("<b>no</b> markup, please");
        await card.GetByRole(AriaRole.Button, new() { Name = "Deny" }).ClickAsync();
        await Expect(page.Locator("#message")).ToContainTextAsync(id);

        var error = await Assert.ThrowsAsync<PostgresException>(() => running);
        Assert.Equal("42501", error.SqlState);
        Assert.Contains($"denied by {ApprovalFixture.PageUser}: <b>no</b> markup, please", error.MessageText, StringComparison.Ordinal);
        Assert.Equal("new", await fixture.NoteAsync(21));
        Assert.Equal(0, await page.Locator("img, b").CountAsync());
        Assert.Equal(0, dialogs);
        Assert.Empty(_policyViolations);
    }

    [Fact]
    public async Task A_token_the_api_refuses_sends_the_approver_to_sign_in_again_and_sign_out_forgets_the_token()
    {
        var page = await OpenSignedInAsync();
        // Whatever other tests left pending: the list (or its empty note) is shown once the page has loaded it.
        await Expect(page.Locator("#empty:not([hidden]), article.approval").First).ToBeVisibleAsync();

        // As an expired or revoked token would: the API answers 401 and the page starts a new sign-in.
        await page.EvaluateAsync("""
            () => {
              const token = JSON.parse(sessionStorage.getItem('orleansgate.approvals.token'));
              token.access_token = 'not-a-token';
              token.obtained_at = 0;
              sessionStorage.setItem('orleansgate.approvals.token', JSON.stringify(token));
            }
            """);
        await page.ReloadAsync(new() { WaitUntil = WaitUntilState.Commit });

        await SignInAsync(page);
        Assert.Equal(PageUrl, page.Url);

        await page.GetByRole(AriaRole.Button, new() { Name = "Sign out" }).ClickAsync();
        await Expect(page.Locator("#message")).ToHaveTextAsync("Signed out.");
        Assert.Null(await page.EvaluateAsync<string?>("sessionStorage.getItem('orleansgate.approvals.token')"));
    }

    [Fact]
    public async Task Page_is_sent_with_a_strict_policy_no_caching_no_framing_and_no_referrer_and_only_where_configured()
    {
        using var http = new HttpClient();
        using var response = await http.GetAsync(PageUrl);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var csp = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp, StringComparison.Ordinal);
        Assert.Contains("script-src 'self';", csp, StringComparison.Ordinal);
        Assert.Contains("require-trusted-types-for 'script'", csp, StringComparison.Ordinal);
        Assert.DoesNotContain("unsafe", csp, StringComparison.Ordinal);
        Assert.True(response.Headers.CacheControl?.NoStore);
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("no-referrer", Assert.Single(response.Headers.GetValues("Referrer-Policy")));
        Assert.DoesNotContain("<script>", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var config = JsonDocument.Parse(await http.GetStringAsync($"{PageUrl}/config.json"));
        Assert.Equal(fixture.Node.Settings.Issuer, config.RootElement.GetProperty("issuer").GetString());
        Assert.Equal(ApprovalFixture.PageClientId, config.RootElement.GetProperty("client_id").GetString());
        Assert.Equal("openid groups", config.RootElement.GetProperty("scope").GetString());

        Assert.Equal(200, (int)(await http.GetAsync($"{PageUrl}/apr-0123456789abcdef0123")).StatusCode);
        Assert.Equal(404, (int)(await http.GetAsync($"{PageUrl}/not-an-id")).StatusCode);

        // The second node has no Approvals:Page settings: no page.
        Assert.Equal(404, (int)(await http.GetAsync($"http://127.0.0.1:{fixture.Other.Settings.HttpPort}/approvals")).StatusCode);
    }

    [GeneratedRegex(@"^\d+m \d\ds$")]
    private static partial Regex TimeLeft();

    /// <summary>A new browser context (its own sessionStorage) on the page, signed in as the fixture's page user.</summary>
    private async Task<IPage> OpenSignedInAsync()
    {
        var context = await _browser.NewContextAsync(new() { ViewportSize = new() { Width = 1100, Height = 760 } });
        var page = await context.NewPageAsync();
        page.Console += (_, message) =>
        {
            if (message.Text.Contains("Content Security Policy", StringComparison.Ordinal))
            {
                _policyViolations.Add(message.Text);
            }
        };

        // Only until the page is committed: its script goes on to the login form before or after "load".
        await page.GotoAsync(PageUrl, new() { WaitUntil = WaitUntilState.Commit });
        await SignInAsync(page);
        return page;
    }

    /// <summary>Fills the dev IdP's login form and waits to be back on the page, signed in.</summary>
    private async Task SignInAsync(IPage page)
    {
        // Polls the address rather than waiting for a navigation event: the page's script may have navigated already.
        await Expect(page).ToHaveURLAsync(new Regex($"^{Regex.Escape(fixture.Node.Settings.Issuer)}/v1/authorize\\?"));
        await page.GetByLabel("Username").FillAsync(ApprovalFixture.PageUser);
        await page.GetByLabel("Password").FillAsync(fixture.PageUserPassword);
        await page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await Expect(page.Locator("#who")).ToHaveTextAsync($"Signed in as {ApprovalFixture.PageUser}");
    }

    /// <summary>Starts an agent-a statement that the rule orders-wait holds, and waits for its notice.</summary>
    private async Task<(WaitingAgent Agent, Task<int> Running, string Id)> StartWaitingAsync(string sql)
    {
        var agent = await WaitingAgent.OpenAsync(fixture.Node, GatewaySettings.AgentClientId);
        try
        {
            var running = agent.ExecuteAsync(sql);
            return (agent, running, await agent.Waiting);
        }
        catch
        {
            await agent.DisposeAsync();
            throw;
        }
    }

    private async Task<JsonElement> ApprovalAsync(string id)
    {
        var (status, body) = await fixture.CallAsync(fixture.Node, HttpMethod.Get, $"/api/approvals/{id}", await fixture.Node.GetTokenAsync("bob"));
        Assert.Equal(200, status);
        return body;
    }

    /// <summary>Writes the page with a pending request to <c>$ORLEANSGATE_SCREENSHOT_DIR/approvals-page.png</c> when asked (docs/).</summary>
    private static async Task ScreenshotAsync(IPage page)
    {
        if (Environment.GetEnvironmentVariable("ORLEANSGATE_SCREENSHOT_DIR") is { Length: > 0 } directory)
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(directory, "approvals-page.png"), FullPage = true });
        }
    }
}
