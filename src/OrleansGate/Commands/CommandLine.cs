using OrleansGate.Host.DevIdp;
using OrleansGate.Host.Hosting;

namespace OrleansGate.Host.Commands;

/// <summary>
/// The commands of the one executable. Global option: <c>--config FILE</c> (JSON, repeatable; later files win),
/// then environment variables <c>ORLEANSGATE__SECTION__KEY</c>.
/// </summary>
public static class CommandLine
{
    public const string Usage = """
        usage: orleansgate [--config FILE]... <command>

        commands:
          run [--role all|silo|edge]      run a node (default command; role all = silo + edge)
          idp token --client ID [--secret S] [--issuer URL] [--exec-credential]
                                          get an access token from the development identity provider
                                          (issuer and secret default to the DevIdp section of the config);
                                          --exec-credential prints it as kubectl's ExecCredential JSON
          idp login --user NAME [--password-file FILE] [--client ID]
                                          sign a development user in (authorization code + PKCE, as the
                                          approvals page does) and print their access token, for approvals
          idp rotate-key                  replace the development IdP's signing key (DevIdp:KeyDirectory); prints
                                          the new kid; the old key stays in the JWKS for DevIdp:PreviousKeyGrace
          agents list | show AGENT | revoke AGENT [--reason R] | unrevoke AGENT
                                          agent state across the cluster; AGENT is issuer|subject or a subject;
                                          revoke closes the agent's sessions on every edge within a second
          agents revoke-token JTI [--issuer URL] [--reason R]
                                          refuse one token id (used or not; --issuer when the id alone is
                                          ambiguous) and close its sessions; cannot be lifted: it lapses when
                                          the token expires (unused: after Identity:RevokedTokenRetention)
          approvals list | show ID | approve ID [--comment C] [--reuse 30m] | deny ID [--comment C]
                    [--url URL] [--token-file FILE] [--json]
                                          the approvers' API, with the approver's own token (--token-file or
                                          ORLEANSGATE_APPROVER_TOKEN); URL defaults to ORLEANSGATE_URL, then
                                          Approvals:ApiUrl, then the node's HTTP listener (exit 2 when refused)
          exec TARGET [--url URL] [--token-file FILE] [--ca-file PEM] [--timeout SECONDS] -- COMMAND...
                                          run COMMAND on the SSH target TARGET through the gateway's agent
                                          listener with the agent's token (--token-file or ORLEANSGATE_TOKEN);
                                          output streamed; exits with the command's status, 255 when refused
          kube config --target NAME --server https://HOST:PORT [--ca-file PEM] [--client ID]
                    [--output FILE [--force]] [--insecure]
                                          a kubeconfig for the Kubernetes target NAME through the agent listener:
                                          kubectl gets tokens by running this orleansgate (idp token
                                          --exec-credential, same --config); it holds no token; printed unless
                                          --output (exit 2 when refused)
          policy check FILE               validate a policy file (errors name file, line and problem)
          policy test --policy FILE --subject S [--groups A,B] [--issuer URL] [--claims NAME=VALUE]... --target T --sql "..."
                                          print the decision, rule and classification; touches no target
                                          (exit 0 allow, 2 refused)
          policy apply [--wait SECONDS] FILE
                                          validate FILE and make it the cluster's next policy version, pushed to
                                          every silo and edge; open sessions are kept; lists the silos that
                                          acknowledged it; exit 4 when an active silo did not within --wait (25 s)
          policy show                     the cluster's current policy version
          audit verify [--public-keys FILE|DIR] [--checkpoint-file [NODE=]FILE]... [--json]
                                          check every chain, every writer's signed sequence (public keys only)
                                          and the checkpoint files against the database; reports each writer as
                                          signed, sealed or open and names every problem (exit 0 ok, 1 broken)
          audit tail [--count N] [--follow] [--json]
                                          the newest N records (default 20), oldest first; --follow prints new
                                          records as they arrive instead (Ctrl-C or --count ends it)
          audit search [--agent A] [--since 15m|TIME] [--decision D] [--session ID] [--kind K] [--limit N] [--json]
                                          audit records matching all filters; --json prints JSON lines (SIEM)
          schema apply --owner-connection-string-file FILE [--runtime-role NAME] [--audit-store]
                                          as the schema owner (connection string in FILE, mode 0600; never
                                          printed): install or update the schema, then grant the nodes' role
                                          (default: the user of OrleansGate:StateDatabase) INSERT and SELECT only
                                          on the audit tables and normal DML on the Orleans tables; idempotent.
                                          --audit-store: FILE names a separate audit store (audit tables only;
                                          default role: the user of OrleansGate:Audit:ConnectionString)
          help                            this text
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        // `exec TARGET -- COMMAND...`: the words after the first `--` are the command's, never options.
        var dash = Array.IndexOf(args, "--");
        var tail = dash < 0 ? [] : args[(dash + 1)..];
        var arguments = new Arguments(dash < 0 ? args : args[..dash]);
        var configFiles = arguments.TakeAll("--config");
        var command = arguments.TakeCommand() ?? "run";
        if (dash >= 0 && command != "exec")
        {
            throw new CommandLineException($"'--' is for exec only (orleansgate exec TARGET -- COMMAND...), not {command}");
        }

        switch (command)
        {
            case "run":
                return await RunNodeAsync(arguments, configFiles, ct);
            case "approvals":
                return await ApprovalsCommand.RunAsync(arguments, LoadConfiguration(configFiles), stdout, stderr, ct);
            case "agents":
                return await AgentsCommand.RunAsync(arguments, LoadConfiguration(configFiles), stdout, ct);
            case "idp":
                return await IdpAsync(arguments, configFiles, stdout, stderr, ct);
            case "exec":
                return await SshExecCommand.RunAsync(arguments, tail, LoadConfiguration(configFiles), stdout, stderr, ct);
            case "kube":
                return await KubeCommand.RunAsync(arguments, configFiles, () => LoadConfiguration(configFiles), stdout, stderr);
            case "policy":
                return await PolicyCommand.RunAsync(arguments, () => LoadConfiguration(configFiles), stdout, stderr, ct);
            case "audit":
                return await AuditCommand.RunAsync(arguments, LoadConfiguration(configFiles), stdout, stderr, ct);
            case "schema":
                return await SchemaCommand.RunAsync(arguments, () => LoadConfiguration(configFiles), stdout, ct);
            case "help" or "--help" or "-h":
                await stdout.WriteLineAsync(Usage);
                return 0;
            default:
                throw new CommandLineException($"unknown command '{command}'");
        }
    }

    private static async Task<int> RunNodeAsync(Arguments arguments, IReadOnlyList<string> configFiles, CancellationToken ct)
    {
        var roleText = arguments.TakeValue("--role") ?? "all";
        if (!Enum.TryParse<GatewayRole>(roleText, ignoreCase: true, out var role) || !Enum.IsDefined(role))
        {
            throw new CommandLineException($"unknown role '{roleText}' (expected all, silo or edge)");
        }

        arguments.EnsureEmpty();
        await using var app = GatewayHost.Build(role, [], config => AddConfigFiles(config, configFiles));
        if (role != GatewayRole.Edge)
        {
            await GatewayHost.ApplySchemaAsync(app, ct);
        }

        await app.RunAsync(ct);
        return 0;
    }

    private static async Task<int> IdpAsync(Arguments arguments, IReadOnlyList<string> configFiles, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        var sub = arguments.TakeCommand();
        if (sub == "rotate-key")
        {
            arguments.EnsureEmpty();
            var rotateConfig = new ConfigurationBuilder();
            AddConfigFiles(rotateConfig, configFiles);
            rotateConfig.AddEnvironmentVariables("ORLEANSGATE__");
            var keyDirectory = rotateConfig.Build().GetSection(GatewayHost.Section).GetSection("DevIdp").Get<DevIdpOptions>()?.KeyDirectory ?? "";
            return await RotateKeyCommand.RunAsync(keyDirectory, stdout, stderr);
        }

        if (sub == "login")
        {
            var user = arguments.TakeValue("--user") ?? throw new CommandLineException("idp login needs --user NAME");
            var passwordFile = arguments.TakeValue("--password-file");
            var client = arguments.TakeValue("--client");
            arguments.EnsureEmpty();
            var loginConfig = new ConfigurationBuilder();
            AddConfigFiles(loginConfig, configFiles);
            loginConfig.AddEnvironmentVariables("ORLEANSGATE__");
            var idp = loginConfig.Build().GetSection(GatewayHost.Section).GetSection("DevIdp").Get<DevIdpOptions>() ?? new DevIdpOptions();
            if (string.IsNullOrEmpty(idp.Issuer))
            {
                throw new CommandLineException("no DevIdp:Issuer in the configuration");
            }

            return await LoginCommand.RunAsync(idp, user, passwordFile, client, stdout, stderr, ct);
        }

        if (sub != "token")
        {
            throw new CommandLineException(sub is null ? "idp needs a subcommand: token, login or rotate-key" : $"unknown idp subcommand '{sub}'");
        }

        var clientId = arguments.TakeValue("--client") ?? throw new CommandLineException("idp token needs --client ID");
        var secret = arguments.TakeValue("--secret");
        var issuer = arguments.TakeValue("--issuer");
        var execCredential = arguments.TakeFlag("--exec-credential");
        arguments.EnsureEmpty();

        if (secret is null || issuer is null)
        {
            var config = new ConfigurationBuilder();
            AddConfigFiles(config, configFiles);
            config.AddEnvironmentVariables("ORLEANSGATE__");
            var devIdp = config.Build().GetSection(GatewayHost.Section).GetSection("DevIdp").Get<DevIdpOptions>() ?? new DevIdpOptions();
            issuer ??= string.IsNullOrEmpty(devIdp.Issuer) ? throw new CommandLineException("no --issuer given and no DevIdp:Issuer in the configuration") : devIdp.Issuer;
            secret ??= devIdp.Clients.FirstOrDefault(c => c.ClientId == clientId)?.ClientSecret
                ?? Environment.GetEnvironmentVariable("ORLEANSGATE_CLIENT_SECRET")
                ?? throw new CommandLineException($"no --secret given and client '{clientId}' is not in the DevIdp configuration");
        }

        return await TokenCommand.RunAsync(issuer, clientId, secret, execCredential, stdout, stderr, ct);
    }

    private static IConfiguration LoadConfiguration(IReadOnlyList<string> configFiles)
    {
        var config = new ConfigurationBuilder();
        AddConfigFiles(config, configFiles);
        config.AddEnvironmentVariables("ORLEANSGATE__");
        return config.Build();
    }

    private static void AddConfigFiles(IConfigurationBuilder config, IReadOnlyList<string> files)
    {
        foreach (var file in files)
        {
            if (!File.Exists(file))
            {
                throw new CommandLineException($"configuration file '{file}' does not exist");
            }

            config.AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false);
        }
    }
}
