namespace OrleansGate.Host.DevIdp;

/// <summary><c>orleansgate idp rotate-key</c>: replaces the development IdP's signing key; a running IdP picks it up.</summary>
internal static class RotateKeyCommand
{
    public static async Task<int> RunAsync(string keyDirectory, TextWriter stdout, TextWriter stderr)
    {
        if (string.IsNullOrWhiteSpace(keyDirectory))
        {
            await stderr.WriteLineAsync("orleansgate: no DevIdp:KeyDirectory in the configuration");
            return 2;
        }

        try
        {
            var keyId = DevIdpSigningKey.Rotate(Path.GetFullPath(keyDirectory));
            await stdout.WriteLineAsync(keyId);
            return 0;
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"orleansgate: key rotation failed: {ex.Message}");
            return 1;
        }
    }
}
