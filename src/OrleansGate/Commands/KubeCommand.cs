using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using OrleansGate.Host.DevIdp;
using OrleansGate.Host.Hosting;
using OrleansGate.Policy.Loading;
using OrleansGate.Policy.Model;

namespace OrleansGate.Host.Commands;

/// <summary>
/// <c>orleansgate kube config --target NAME --server URL [--ca-file PEM] [--client ID] [--output FILE [--force]] [--insecure]</c>:
/// writes (or prints) a kubeconfig for the gateway's Kubernetes path whose user gets its token from this executable
/// as an exec credential plugin (<see cref="KubeConfigDocument"/>). Offline: it reads the configuration and, when the
/// configuration names one, the policy file (to check the target), and talks to nothing.
/// </summary>
public static class KubeCommand
{
    private const int Failed = 1;
    private const int Refused = 2;

    public static async Task<int> RunAsync(Arguments arguments, IReadOnlyList<string> configFiles, Func<IConfiguration> configuration, TextWriter stdout, TextWriter stderr)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        ArgumentNullException.ThrowIfNull(configFiles);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        var sub = arguments.TakeCommand();
        if (sub != "config")
        {
            throw new CommandLineException(sub is null ? "kube needs a subcommand: config" : $"unknown kube subcommand '{sub}'");
        }

        var target = arguments.TakeValue("--target") ?? throw new CommandLineException("kube config needs --target NAME");
        var serverText = arguments.TakeValue("--server") ?? throw new CommandLineException("kube config needs --server https://HOST:PORT");
        var caFile = arguments.TakeValue("--ca-file");
        var clientId = arguments.TakeValue("--client");
        var output = arguments.TakeValue("--output");
        var force = arguments.TakeFlag("--force");
        var insecure = arguments.TakeFlag("--insecure");
        arguments.EnsureEmpty();

        if (CheckServer(serverText, insecure) is { } badServer)
        {
            return await RefuseAsync(stderr, badServer);
        }

        if (target.Length == 0)
        {
            return await RefuseAsync(stderr, "--target needs a target name");
        }

        if (output is not null && !force && (File.Exists(output) || Directory.Exists(output)))
        {
            return await RefuseAsync(stderr, $"'{output}' exists; add --force to replace it");
        }

        string? caPem = null;
        if (caFile is not null && ReadCa(caFile, out caPem) is { } badCa)
        {
            return await RefuseAsync(stderr, badCa);
        }

        // The plugin runs in kubectl's working directory: every path it is given is absolute.
        var absoluteConfigFiles = configFiles.Select(Path.GetFullPath).ToList();
        var gateway = configuration().GetSection(GatewayHost.Section);
        if (clientId is null)
        {
            var clients = gateway.GetSection("DevIdp").Get<DevIdpOptions>()?.Clients ?? [];
            clientId = clients.Count == 1
                ? clients[0].ClientId
                : throw new CommandLineException($"kube config needs --client ID (the configuration names {clients.Count} development IdP clients)");
        }

        if (await CheckTargetAsync(gateway["Policy:File"], target, stderr) is { } badTarget)
        {
            return await RefuseAsync(stderr, badTarget);
        }

        var text = KubeConfigDocument.Create(new Uri(serverText), target, caPem, clientId, ExecutableInvocation.Current(), absoluteConfigFiles);
        if (output is null)
        {
            await stdout.WriteAsync(text);
            return 0;
        }

        // No token is in it, but it names the configuration that leads to the client's secret: the owner's alone, as kubectl writes its own.
        var options = new FileStreamOptions { Mode = force ? FileMode.Create : FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        try
        {
            await using var file = new StreamWriter(output, System.Text.Encoding.UTF8, options);
            await file.WriteAsync(text);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Created by someone else since the check above: still refused, as it would have been then.
            return !force && File.Exists(output)
                ? await RefuseAsync(stderr, $"'{output}' exists; add --force to replace it")
                : await FailAsync(stderr, $"cannot write '{output}': {e.Message}");
        }

        await stdout.WriteLineAsync($"wrote {output}: kubectl --kubeconfig {output} get pods");
        return 0;
    }

    // kubectl sends the agent's token to this URL: https only, unless the operator says otherwise.
    private static string? CheckServer(string text, bool insecure)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return $"--server '{text}' is not an absolute https URL";
        }

        if (uri.Scheme == Uri.UriSchemeHttp && !insecure)
        {
            return $"--server '{text}' is plain http: kubectl would send the agent's token unencrypted (add --insecure for a test set-up)";
        }

        return uri.UserInfo.Length > 0 || uri.Query.Length > 0 || uri.Fragment.Length > 0
            ? $"--server '{text}' must not carry credentials, a query or a fragment"
            : null;
    }

    private static string? ReadCa(string path, out string? pem)
    {
        pem = null;
        try
        {
            var text = File.ReadAllText(path);
            var certificates = new X509Certificate2Collection();
            certificates.ImportFromPem(text);
            foreach (var certificate in certificates)
            {
                certificate.Dispose();
            }

            if (certificates.Count == 0)
            {
                return $"--ca-file '{path}' holds no PEM certificate";
            }

            pem = text;
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return $"--ca-file '{path}' cannot be used: {e.Message}";
        }
    }

    /// <summary>Refuses a name the policy does not define as a kubernetes target; without a readable policy the name is not checked.</summary>
    private static async Task<string?> CheckTargetAsync(string? policyFile, string target, TextWriter stderr)
    {
        if (string.IsNullOrEmpty(policyFile))
        {
            return null;
        }

        CompiledPolicy policy;
        try
        {
            policy = PolicyLoader.LoadFile(policyFile);
        }
        catch (Exception e) when (e is PolicyLoadException or IOException or UnauthorizedAccessException)
        {
            await stderr.WriteLineAsync($"note: target '{target}' not checked: the policy file '{policyFile}' cannot be read here ({e.Message})");
            return null;
        }

        if (policy.HttpTargets.TryGetValue(target, out var found) && found.Kind == HttpTargetKind.Kubernetes)
        {
            return null;
        }

        var known = policy.HttpTargets.Values.Where(t => t.Kind == HttpTargetKind.Kubernetes).Select(t => t.Name).Order(StringComparer.Ordinal).ToList();
        return $"target '{target}' is not a kubernetes target of the policy {policyFile} (its kubernetes targets: {(known.Count == 0 ? "none" : string.Join(", ", known))})";
    }

    private static async Task<int> FailAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"error: {message}");
        return Failed;
    }

    private static async Task<int> RefuseAsync(TextWriter stderr, string message)
    {
        await stderr.WriteLineAsync($"error: {message}");
        return Refused;
    }
}
