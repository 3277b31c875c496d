using System;
using System.Collections.Generic;

namespace OrleansGate.Policy.Tests.Shell;

/// <summary>
/// A policy that lets agents read /var/log on target <c>web1</c> with <c>ls</c>, <c>cat</c> and <c>grep</c>, lines that
/// try to get past it, and lines it allows. Public and BCL-only so the integration tests can link this file and run
/// the same lines against a real sshd: each bypass, if it ran, would create /tmp/og-marker-NN or print /etc/passwd
/// (or /etc/shadow), so a marker file or "root:" in the output proves a bypass.
/// </summary>
public static class SshCorpus
{
    /// <summary>The policy, with placeholders {{HOST}}, {{PORT}}, {{USER}}, {{HOST_KEY}} and {{KEY_FILE}} (see <see cref="Policy"/>).</summary>
    public const string PolicyYaml =
        """
        version: ssh-corpus
        targets:
          web1:
            kind: ssh
            host: "{{HOST}}"
            port: "{{PORT}}"
            user: "{{USER}}"
            host_key: "{{HOST_KEY}}"
            key_file: "{{KEY_FILE}}"
        rules:
          - name: read-logs
            effect: allow
            reason: agents may read the logs under /var/log
            match:
              targets: [web1]
              ssh:
                commands: [ls, cat, grep]
                args: ["/var/log", "/var/log/**", "-l", "-a", "-la", "-al", "-lh", "-lah", "-1", "-h", "-i", "-c", "-n", "-v", "-w", "-E", "-F", "-H",
                       "error", "ssh", "sshd", "dpkg", "install", "warning", "fail", "session", "kernel"]
                redirects: [/dev/null]
                sudo: false
          - name: no-root
            effect: deny
            reason: nothing runs as root through the gateway
            match:
              targets: [web1]
              ssh: { sudo: true }
        """;

    /// <summary>The target's name in <see cref="PolicyYaml"/>.</summary>
    public const string Target = "web1";

    /// <summary><see cref="PolicyYaml"/> with its placeholders replaced.</summary>
    public static string Policy(string host, int port, string user, string hostKey, string keyFile) =>
        PolicyYaml
            .Replace("{{HOST}}", host, StringComparison.Ordinal)
            .Replace("{{PORT}}", port.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
            .Replace("{{USER}}", user, StringComparison.Ordinal)
            .Replace("{{HOST_KEY}}", hostKey, StringComparison.Ordinal)
            .Replace("{{KEY_FILE}}", keyFile, StringComparison.Ordinal);

    /// <summary>Lines that must be refused (denied, or refused as unparsable). Each would act outside the rule if it ran.</summary>
    public static IReadOnlyList<string> Bypasses { get; } =
    [
        // lists and pipes
        "ls /var/log; touch /tmp/og-marker-01",
        "ls /var/log && touch /tmp/og-marker-02",
        "ls /nonexistent-og || touch /tmp/og-marker-03",
        "ls /var/log & touch /tmp/og-marker-04",
        "ls /var/log | touch /tmp/og-marker-05",
        "ls /var/log\ntouch /tmp/og-marker-06",
        "ls /var/log&&touch /tmp/og-marker-07",
        "ls /var/log |& touch /tmp/og-marker-08",
        "ls /var/log|tee /tmp/og-marker-09",
        "ls /var/log #\ntouch /tmp/og-marker-10",
        "ls /var/log \\\n; touch /tmp/og-marker-11",
        "ls\t/var/log;touch\t/tmp/og-marker-12",
        // subshells and groups
        "(touch /tmp/og-marker-13)",
        "{ touch /tmp/og-marker-14; }",
        "( ls /var/log ) > /tmp/og-marker-15",
        "{ ls /var/log; } 2> /tmp/og-marker-16",
        // substitutions
        "ls $(touch /tmp/og-marker-17)",
        "ls `touch /tmp/og-marker-18`",
        "ls /var/log \"$(touch /tmp/og-marker-19)\"",
        "cat <(touch /tmp/og-marker-20)",
        "ls /var/log >(touch /tmp/og-marker-21)",
        "ls /var/log ${x:-;touch /tmp/og-marker-22}",
        "ls $((1+1)); touch /tmp/og-marker-23",
        // redirections
        "ls /var/log > /tmp/og-marker-24",
        "ls /var/log >> /tmp/og-marker-25",
        "ls /var/log 2> /tmp/og-marker-26",
        "ls /var/log &> /tmp/og-marker-27",
        "ls /var/log >& /tmp/og-marker-28",
        "ls /var/log >| /tmp/og-marker-29",
        "cat /var/log/dpkg.log > /tmp/og-marker-30 2>&1",
        "> /tmp/og-marker-31",
        "cat < /etc/passwd",
        "ls /var/log; exec 3>/tmp/og-marker-33",
        // here-documents and here-strings
        "cat <<EOF\n$(touch /tmp/og-marker-34)\nEOF",
        "cat <<EOF\n`touch /tmp/og-marker-35`\nEOF",
        "cat <<'EOF' > /tmp/og-marker-36\nhello\nEOF",
        "bash <<< 'touch /tmp/og-marker-37'",
        "source /dev/stdin <<< 'touch /tmp/og-marker-38'",
        // variables in the command position and elsewhere
        "$SHELL -c 'touch /tmp/og-marker-39'",
        "${SHELL} -c 'touch /tmp/og-marker-40'",
        "cat${IFS}/etc/passwd",
        "cat \"$HOME/../../etc/passwd\"",
        "cat $'/etc/passwd'",
        "PATH=/usr/bin:/bin touch /tmp/og-marker-44",
        "IFS=, cat /etc/passwd",
        // eval and shells
        "eval 'touch /tmp/og-marker-46'",
        "eval \"touch /tmp/og-marker-47\"",
        "builtin eval 'touch /tmp/og-marker-48'",
        "sh -c 'touch /tmp/og-marker-49'",
        "bash -c 'touch /tmp/og-marker-50'",
        "sh -c 'ls /var/log; touch /tmp/og-marker-51'",
        "sh -c \"touch /tmp/og-marker-52\"",
        "bash -c 'eval touch\\ /tmp/og-marker-53'",
        "echo 'touch /tmp/og-marker-54' | sh",
        "ls /var/log | bash",
        // wrappers
        "echo /tmp/og-marker-56 | xargs touch",
        "env touch /tmp/og-marker-57",
        "env -i PATH=/usr/bin touch /tmp/og-marker-58",
        "env -C /etc cat passwd",
        "sudo touch /tmp/og-marker-60",
        "sudo cat /etc/shadow",
        "sudo cat /var/log/dpkg.log",
        "sudo -s touch /tmp/og-marker-63",
        "nice touch /tmp/og-marker-64",
        "nice -n 5 touch /tmp/og-marker-65",
        "timeout 5 touch /tmp/og-marker-66",
        "timeout 5 sh -c 'touch /tmp/og-marker-67'",
        "nohup touch /tmp/og-marker-68",
        "find /var/log -maxdepth 0 -exec touch /tmp/og-marker-69 \\;",
        "find /var/log -maxdepth 0 -execdir touch /tmp/og-marker-70 {} +",
        "command touch /tmp/og-marker-71",
        "exec touch /tmp/og-marker-72",
        "python3 -c 'open(\"/tmp/og-marker-73\", \"w\")'",
        "awk 'BEGIN { system(\"touch /tmp/og-marker-74\") }'",
        // quoting tricks
        "'c'at /etc/passwd",
        "c\\at /etc/passwd",
        "\"ca\"t /etc/passwd",
        "cat -- /etc/passwd",
        // paths, traversal and globs
        "cat /etc/passwd",
        "cat /var/log/../../etc/passwd",
        "cat /var/log/../../etc/pass*",
        "cat /var/log/./../../etc/passwd",
        "cat /var/log//../../etc/passwd",
        "cat /e*/passwd",
        "ls /var/log /etc",
        "ls -la /var/log/.*/",
        "cat /var/log/[.][.]/[.][.]/etc/passwd",
        "cat /var/log/dpkg.log /etc/passwd",
        "grep -f /etc/passwd /var/log/dpkg.log",
        "grep --file=/etc/passwd /var/log/dpkg.log",
        "grep -r root /etc",
        "grep root /etc/passwd",
        "/usr/bin/touch /tmp/og-marker-95",
        "../../usr/bin/touch /tmp/og-marker-96",
        "/bin/cat /etc/passwd",
        // brace, tilde, arithmetic
        "cat {/etc/passwd,/var/log/dpkg.log}",
        "cat /var/log/{dpkg.log,../../etc/passwd}",
        "cat ~root/.bash_history",
        "cat ~/.ssh/authorized_keys",
        "let 'x[$(touch /tmp/og-marker-102)]=1'",
        "test -v 'x[$(touch /tmp/og-marker-103)]'",
        // compound commands, functions, aliases, traps
        "f() { touch /tmp/og-marker-104; }; f",
        "function f { touch /tmp/og-marker-105; }; f",
        "if true; then touch /tmp/og-marker-106; fi",
        "for i in 1; do touch /tmp/og-marker-107; done",
        "while true; do touch /tmp/og-marker-108; break; done",
        "case x in x) touch /tmp/og-marker-109;; esac",
        "alias ls='touch /tmp/og-marker-110'; ls",
        "trap 'touch /tmp/og-marker-111' EXIT",
        // bytes the shell or the terminal reads differently
        "cat /var/log/dpkg.log\0; touch /tmp/og-marker-112",
        "ls /var/log\r\ntouch /tmp/og-marker-113",
        "ls /var/log\u001b; touch /tmp/og-marker-114",
        "cat /var/log/x\u2028touch /tmp/og-marker-115",
        "ls /var/log\u0085touch /tmp/og-marker-116",
        "ls 'unbalanced /var/log; touch /tmp/og-marker-117",
        "ls /var/log ;; touch /tmp/og-marker-118",
        // text that runs nothing still opens its redirections
        "ls /var/log; eval > /tmp/og-marker-122",
        "ls /var/log; sh -c '' > /tmp/og-marker-123",
        "( eval '' ) > /tmp/og-marker-124; ls /var/log",
        // sh is dash: `&>` is `&` then `>` (the words after it run as a command), `10<` passes the word 10
        "sh -c 'cat /var/log/dpkg.log &>/dev/null dpkg -l'",
        "sh -c 'grep -c error /var/log/syslog 10</dev/null'",
        // an empty command is a login shell
        "",
        "   ",
        "# touch /tmp/og-marker-121",
    ];

    /// <summary>Lines the policy must allow.</summary>
    public static IReadOnlyList<string> Legitimate { get; } =
    [
        "ls /var/log",
        "ls -la /var/log",
        "ls -l /var/log/apt",
        "ls -lh /var/log/apt/",
        "cat /var/log/dpkg.log",
        "cat /var/log/apt/history.log",
        "grep -i error /var/log/syslog",
        "grep -c ssh /var/log/auth.log",
        "grep -w kernel /var/log/kern.log",
        "ls /var/log | grep dpkg",
        "cat /var/log/dpkg.log | grep install",
        "grep -v sshd /var/log/auth.log | grep -c session",
        "ls /var/log && cat /var/log/dpkg.log",
        "ls /var/log || ls -a /var/log",
        "ls /var/log/ ; ls /var/log/apt",
        "ls /var/log\nls /var/log/apt",
        "cat '/var/log/dpkg.log'",
        "cat \"/var/log/dpkg.log\"",
        "grep -i \"error\" /var/log/syslog",
        "l\\s /var/log",
        "cat /var/log/*.log",
        "cat /var/log//dpkg.log",
        "ls /var/log/./apt",
        "grep -n error /var/log/syslog 2>&1",
        "grep -c error /var/log/syslog 2>/dev/null",
        "cat /var/log/dpkg.log 2>/dev/null | grep -c install",
        "ls /var/log >/dev/null 2>&1",
        "grep -c error /var/log/syslog < /dev/null",
        "(ls /var/log)",
        "{ ls /var/log; cat /var/log/dpkg.log; }",
        "ls /var/log # the logs",
        "sh -c 'ls /var/log'",
        "env ls /var/log",
        "nice -n 10 grep -c error /var/log/syslog",
        "timeout 10 cat /var/log/dpkg.log",
        "command ls /var/log",
        "cat <<'EOF'\nhello $USER\nEOF",
    ];
}
