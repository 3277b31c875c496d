using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;

namespace OrleansGate.Edge.Postgres;

/// <summary>
/// Refuses, at start, listener settings that would fail on every connection instead (a cap under a message header
/// throws in the framer, a negative timeout in the timer) or that would quietly undo a limit.
/// </summary>
internal sealed class PostgresListenerOptionsValidator : IValidateOptions<PostgresListenerOptions>
{
    private const string At = "OrleansGate:Postgres";

    /// <summary>Smallest cap before authentication: the password message carries a JWT, often a few KiB.</summary>
    internal const int MinPreAuthenticationCap = 8 * 1024;

    /// <summary>PostgreSQL's own limit on one message (MaxAllocSize); a larger cap would only help an attacker.</summary>
    internal const int MaxCap = (1 << 30) - 1;

    /// <summary>The authentication timeout must be short enough for a timer and long enough for a real login.</summary>
    internal static readonly TimeSpan MaxAuthenticationTimeout = TimeSpan.FromHours(1);

    public ValidateOptionsResult Validate(string? name, PostgresListenerOptions options)
    {
        var failures = new List<string>();
        if (!IPAddress.TryParse(options.Address, out _))
        {
            failures.Add($"{At}:Address \"{options.Address}\" is not an IP address.");
        }

        if (options.Port is < 0 or > IPEndPoint.MaxPort)
        {
            failures.Add($"{At}:Port {Text(options.Port)} is not a TCP port (0–65535).");
        }

        if (options.AuthenticationTimeout <= TimeSpan.Zero || options.AuthenticationTimeout > MaxAuthenticationTimeout)
        {
            failures.Add($"{At}:AuthenticationTimeout {options.AuthenticationTimeout} must be positive and at most {MaxAuthenticationTimeout}.");
        }

        if (options.TokenExpiryGrace < TimeSpan.Zero)
        {
            failures.Add($"{At}:TokenExpiryGrace {options.TokenExpiryGrace} must not be negative.");
        }

        if (options.MaxConnectionsAwaitingAuthentication < 1)
        {
            failures.Add($"{At}:MaxConnectionsAwaitingAuthentication {Text(options.MaxConnectionsAwaitingAuthentication)} must be at least 1.");
        }

        CheckCap(failures, nameof(options.MaxMessageLengthBeforeAuthentication), options.MaxMessageLengthBeforeAuthentication, MinPreAuthenticationCap);
        CheckCap(failures, nameof(options.MaxMessageLength), options.MaxMessageLength, MinPreAuthenticationCap);
        CheckCap(failures, nameof(options.MaxUpstreamMessageLength), options.MaxUpstreamMessageLength, MinPreAuthenticationCap);
        if (options.MaxMessageLength < options.MaxMessageLengthBeforeAuthentication)
        {
            // The cap after authentication must not be the smaller one: a stranger would be allowed more than an agent.
            failures.Add($"{At}:MaxMessageLength {Text(options.MaxMessageLength)} must be at least MaxMessageLengthBeforeAuthentication {Text(options.MaxMessageLengthBeforeAuthentication)}.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void CheckCap(List<string> failures, string setting, int value, int minimum)
    {
        if (value < minimum || value > MaxCap)
        {
            failures.Add($"{At}:{setting} {Text(value)} must be between {Text(minimum)} and {Text(MaxCap)} bytes.");
        }
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
