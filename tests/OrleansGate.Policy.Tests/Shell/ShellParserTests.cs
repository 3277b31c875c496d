using OrleansGate.Policy.Shell;

namespace OrleansGate.Policy.Tests.Shell;

public sealed class ShellParserTests
{
    /// <summary>Each simple command as <c>program arg,arg [op target…] [sudo]</c>, joined with " ; ".</summary>
    private static string Read(string line)
    {
        var result = ShellParser.Parse(line);
        Assert.True(result.IsResolved, result.Refusal);
        return string.Join(" ; ", result.Commands.Select(c => string.Join(' ',
            new[] { c.Program, string.Join(",", c.Args) }.Concat(c.Redirects.Select(r => r.Operator + r.Target)).Append(c.Sudo ? "sudo" : "")
                .Where(part => part.Length > 0))));
    }

    private static string Refusal(string line)
    {
        var result = ShellParser.Parse(line);
        Assert.False(result.IsResolved);
        return result.Refusal!;
    }

    [Theory]
    [InlineData("ls /var/log", "ls /var/log")]
    [InlineData("'l''s' /var/log", "ls /var/log")]
    [InlineData("\"l\"s '/var/l'\"og\"", "ls /var/log")]
    [InlineData("l\\s a\\ b", "ls a b")]
    [InlineData("echo \"a \\\"b\\\" \\\\ \\x\"", "echo a \"b\" \\ \\x")]
    [InlineData("echo 'it''s' \"$\"'x'", null)]
    [InlineData("ls a\\\nb", "ls ab")]
    [InlineData("grep 'error$' f", "grep error$,f")]
    [InlineData("echo a#b #c", "echo a#b")]
    [InlineData("find . -name '*.log'", "find .,-name,*.log")]
    public void Quote_removal_resolves_static_words(string line, string? expected)
    {
        if (expected is null)
        {
            Assert.Contains("'$'", Refusal(line), StringComparison.Ordinal);
            return;
        }

        Assert.Equal(expected, Read(line));
    }

    [Theory]
    [InlineData("a; b", "a ; b")]
    [InlineData("a && b || c", "a ; b ; c")]
    [InlineData("a & b &", "a ; b")]
    [InlineData("a | b |& c", "a ; b ; c")]
    [InlineData("a\n\nb\n", "a ; b")]
    [InlineData("a &&\n b", "a ; b")]
    [InlineData("! a | b", "a ; b")]
    [InlineData("(a; (b)) ; { c; }", "a ; b ; c")]
    [InlineData("{ a; } > f", "a >f")]
    [InlineData("( a | b ) 2>/dev/null", "a >/dev/null ; b >/dev/null")]
    public void Lists_pipes_subshells_and_groups_yield_every_simple_command(string line, string expected) =>
        Assert.Equal(expected, Read(line));

    [Theory]
    [InlineData("a > f", "a >f")]
    [InlineData("a >> f 2>&1", "a >>f >&1")]
    [InlineData("a 2>/dev/null", "a >/dev/null")]
    [InlineData("a < in <> rw >| clobber", "a <in <>rw >|clobber")]
    [InlineData("a &> f", "a &>f")]
    [InlineData("a &>> f", "a &>>f")]
    [InlineData("a >&f", "a &>f")]
    [InlineData("a 3<&0 >&- 4>&3-", "a <&0 >&- >&3-")]
    [InlineData("a <<< 'word'", "a <<<word")]
    [InlineData(">f a", "a >f")]
    public void Redirections_are_read_without_their_descriptor_number(string line, string expected) =>
        Assert.Equal(expected, Read(line));

    [Fact]
    public void File_redirections_are_told_from_duplications_and_here_documents()
    {
        var redirects = ShellParser.Parse("a <x >y 2>&1 <<'E' <<<w\nbody\nE").Commands.Single().Redirects;

        Assert.Equal([true, true, false, false, false], redirects.Select(r => r.IsFile));
    }

    [Theory]
    [InlineData("cat <<'EOF'\n$(id) `id` \\\nEOF", "cat <<EOF")]
    [InlineData("cat <<\"EOF\"\n$HOME\nEOF\nls", "cat <<EOF ; ls")]
    [InlineData("cat <<EOF\nplain text\nEOF", "cat <<EOF")]
    [InlineData("cat <<-EOF\n\tplain\n\tEOF\nls", "cat <<-EOF ; ls")]
    [InlineData("cat <<A <<'B'; ls\na\nA\nb $x\nB\npwd", "cat <<A <<B ; ls ; pwd")]
    public void Here_documents_are_data_and_the_line_goes_on_after_them(string line, string expected) =>
        Assert.Equal(expected, Read(line));

    [Theory]
    [InlineData("cat <<EOF\n$(id)\nEOF", "unquoted delimiter")]
    [InlineData("cat <<EOF\n${x}\nEOF", "unquoted delimiter")]
    [InlineData("cat <<EOF\na\\\nEOF\nid", "unquoted delimiter")]
    [InlineData("cat <<EOF\nnever ended", "never ended")]
    [InlineData("cat <<EOF", "no body")]
    public void Here_documents_that_could_expand_or_never_end_are_refused(string line, string reason) =>
        Assert.Contains(reason, Refusal(line), StringComparison.Ordinal);

    [Theory]
    [InlineData("sudo ls", "ls sudo")]
    [InlineData("sudo -n -u web -g adm -- ls -l", "ls -l sudo")]
    [InlineData("sudo --user=web ls", "ls sudo")]
    [InlineData("/usr/local/bin/sudo ls", "/usr/local/bin/sudo ls sudo")]
    [InlineData("env ls", "ls")]
    [InlineData("env -i -- ls", "ls")]
    [InlineData("env", "env")]
    [InlineData("nice -n 5 ls", "ls")]
    [InlineData("nice -5 ls", "ls")]
    [InlineData("nohup ls", "ls")]
    [InlineData("timeout -s KILL 2.5m ls", "ls")]
    [InlineData("time -p ls", "ls")]
    [InlineData("command -p ls", "ls")]
    [InlineData("command -v ls", "command -v,ls")]
    [InlineData("builtin echo x", "echo x")]
    [InlineData("exec ls", "ls")]
    [InlineData("exec 3>f", "exec >f")]
    [InlineData("/usr/bin/env ls", "ls")]
    [InlineData("/tmp/x/env ls", "/tmp/x/env ls")]
    [InlineData("sudo sh -c 'a; b | c' > f", "a >f sudo ; b >f sudo ; c >f sudo")]
    [InlineData("bash -ec \"a && b\"", "a ; b")]
    [InlineData("sh -c 'sh -c \"ls x\"'", "ls x")]
    [InlineData("eval ls '/var/log;' id", "ls /var/log ; id")]
    [InlineData("eval", "")]
    [InlineData("find /v -name x -exec cat {} \\; -delete", "find /v,-name,x,-exec,-delete ; cat {}")]
    [InlineData("sudo find / -execdir rm {} +", "find /,-execdir sudo ; rm {} sudo")]
    [InlineData("/tmp/sh -c id", "/tmp/sh -c,id")]
    [InlineData("sudoedit /etc/hosts", "sudoedit /etc/hosts sudo")]
    [InlineData("find /v -exec cat + /etc/shadow \\;", "find /v,-exec ; cat +,/etc/shadow")]
    [InlineData("find /v -exec cat {} x + -print \\;", "find /v,-exec ; cat {},x,+,-print")]
    [InlineData("bash -c 'ls &>/dev/null 10>&1'", "ls &>/dev/null >&1")]
    [InlineData("sh -c 'ls >/dev/null 2>&1'", "ls >/dev/null >&1")]
    [InlineData("sh -c 'bash -c \"ls |& cat\"'", "ls ; cat")]
    public void Wrappers_are_seen_through(string line, string expected)
    {
        if (expected.Length == 0)
        {
            Assert.Equal("the command line runs no command (an empty command opens a login shell)", ShellParser.Parse(line).Refusal);
            return;
        }

        Assert.Equal(expected, Read(line));
    }

    [Theory]
    [InlineData("sudo -s", "sudo option '-s'")]
    [InlineData("sudo -i ls", "sudo option '-i'")]
    [InlineData("sudo -e /etc/hosts", "sudo option '-e'")]
    [InlineData("sudo -E ls", "sudo option '-E'")]
    [InlineData("sudo", "'sudo' without a command")]
    [InlineData("sudo FOO=1 ls", "")]
    [InlineData("env -u X ls", "env option '-u'")]
    [InlineData("env -S 'ls x'", "env option '-S'")]
    [InlineData("env X=1 ls", "assignment given to env")]
    [InlineData("nice -x ls", "nice option")]
    [InlineData("timeout ls", "needs a duration")]
    [InlineData("timeout 5", "without a command")]
    [InlineData("time -o f ls", "time option '-o'")]
    [InlineData("exec -a name ls", "exec option '-a'")]
    [InlineData("xargs ls", "xargs")]
    [InlineData("sh", "reads a script or its input")]
    [InlineData("bash script.sh", "reads a script or its input")]
    [InlineData("sh -c", "reads a script or its input")]
    [InlineData("sh -l -c ls", "reads a script or its input")]
    [InlineData("sh -c 'echo $1' sh x", "words after the text")]
    [InlineData("sh -c 'echo $HOME'", "'$HOME'")]
    [InlineData("eval 'echo $x'", "'$x'")]
    [InlineData("find . -exec rm {}", "needs a command ended by")]
    [InlineData("find . -exec ;", "needs a command ended by")]
    [InlineData(". ./script", "runs a script file")]
    [InlineData("source x", "runs a script file")]
    [InlineData("export PATH=/tmp", "builtin 'export'")]
    [InlineData("hash -p /tmp/x ls", "builtin 'hash'")]
    [InlineData("read 'a[$(id)]'", "builtin 'read'")]
    [InlineData("printf -v 'a[$(id)]' x", "printf -v")]
    [InlineData("printf -v'a[$(id)]' x", "printf -v")]
    [InlineData("ls; eval > f", "'eval' runs no command, but its redirections")]
    [InlineData("ls; eval '' 2> f", "'eval' runs no command")]
    [InlineData("ls; sh -c '#' > f", "'sh -c' runs no command")]
    [InlineData("ls; nice bash -c '' > f", "'bash -c' runs no command")]
    [InlineData("( eval ) > f; ls", "runs no command, but its redirections")]
    [InlineData("sh -c 'cat x &>/dev/null id'", "'&>' at offset 6 is bash's")]
    [InlineData("dash -c 'cat x &>>f id'", "'&>>' at offset 6 is bash's")]
    [InlineData("sh -c 'cat x 10</dev/null'", "'10<' at offset 6 is bash's")]
    [InlineData("sh -c 'ls |& cat'", "'|&' at offset 3 is bash's")]
    [InlineData("sh -c 'cat <<< x'", "'<<<' at offset 4 is bash's")]
    [InlineData("bash -c \"sh -c 'ls &>f'\"", "is bash's")]
    [InlineData("[ -v 'a[$(id)]' ]", "not a plain name")]
    [InlineData("eval cat /var/log/*", "eval with a glob character")]
    [InlineData("eval 'cat /var/log/*.log'", "eval with a glob character")]
    [InlineData("eval ls /var/log/a?", "eval with a glob character")]
    public void Wrappers_that_cannot_be_seen_through_are_refused(string line, string reason) =>
        Assert.Contains(reason, Refusal(line), StringComparison.Ordinal);

    [Fact]
    public void Wrappers_nested_too_deep_are_refused()
    {
        var line = "ls";
        for (var i = 0; i < 12; i++)
        {
            line = "eval " + line.Replace("\\", "\\\\", StringComparison.Ordinal).Replace(" ", "\\ ", StringComparison.Ordinal);
        }

        Assert.Contains("nest deeper", Refusal(line), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ls $HOME", "variable expansion '$HOME' at offset 3")]
    [InlineData("ls \"$HOME\"", "variable expansion '$HOME' at offset 4")]
    [InlineData("ls ${HOME}", "parameter expansion")]
    [InlineData("ls$IFS/etc", "'$IFS'")]
    [InlineData("echo $1 $@", "special parameter '$1'")]
    [InlineData("echo $", "a '$'")]
    [InlineData("echo $(id)", "command substitution '$(…)'")]
    [InlineData("echo \"`id`\"", "command substitution '`…`'")]
    [InlineData("echo $((1+2))", "arithmetic expansion")]
    [InlineData("((x=1))", "arithmetic command")]
    [InlineData("echo $'\\x41'", "ANSI-C quoting")]
    [InlineData("echo $\"x\"", "locale quoting")]
    [InlineData("diff <(ls) >(cat)", "process substitution '<(…)'")]
    [InlineData("echo {a,b}", "brace expansion")]
    [InlineData("echo x{1..3}", "brace expansion")]
    [InlineData("cat ~/x", "tilde expansion")]
    [InlineData("cat a~", "tilde expansion")]
    [InlineData("FOO=1 ls", "assignment before the command")]
    [InlineData("a[1]=x", "assignment before the command")]
    [InlineData("if true; then ls; fi", "compound command")]
    [InlineData("while :; do ls; done", "compound command")]
    [InlineData("[[ -f x ]]", "compound command")]
    [InlineData("coproc ls", "compound command")]
    [InlineData("f() { ls; }", "function definitions")]
    [InlineData("ls @(a|b)", "extended globs")]
    [InlineData("case a in a) ls;; esac", "compound command")]
    [InlineData("ls 'x", "single quote at offset 3 is never closed")]
    [InlineData("ls \"x", "double quote at offset 3 is never closed")]
    [InlineData("ls \\", "backslash at the end")]
    [InlineData("ls\0", "NUL byte at offset 2")]
    [InlineData("ls\r", "carriage return at offset 2")]
    [InlineData("ls\u0007", "control character U+0007")]
    [InlineData("ls\u009b", "control character U+009B")]
    [InlineData("ls ;", "")]
    [InlineData("; ls", "expected a command at offset 0")]
    [InlineData("ls &&", "expected a command")]
    [InlineData("| ls", "expected a command")]
    [InlineData("( ls", "never closed")]
    [InlineData("{ ls }", "never closed")]
    [InlineData("ls )", "found ')'")]
    [InlineData("( )", "empty list")]
    [InlineData("ls >", "has no target")]
    [InlineData("ls > ''", "empty file")]
    [InlineData("ls 2>&x", "must name a file descriptor")]
    [InlineData("> f", "redirection without a command")]
    [InlineData("ls /.*", "may match '..'")]
    [InlineData("ls [.]x*", "may match '..'")]
    [InlineData("$'ls'", "ANSI-C")]
    [InlineData("'l s' x", "not a plain name")]
    [InlineData("'ls*' x", "not a plain name")]
    [InlineData("\"lś\" x", "not a plain name")]
    [InlineData("", "runs no command")]
    public void What_cannot_be_resolved_statically_is_refused(string line, string reason)
    {
        if (reason.Length == 0)
        {
            Assert.Equal("ls", Read(line)); // a trailing ';' is fine
            return;
        }

        Assert.Contains(reason, Refusal(line), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ls '$HOME' \"{a,b}\" '~' \\$x \"*\"", "ls $HOME,{a,b},~,$x,*")]
    [InlineData("grep 'é' /var/log/x", "grep é,/var/log/x")]
    [InlineData("find . -exec ls {} \\;", "find .,-exec ; ls {}")]
    [InlineData("echo { }", "echo {,}")]
    [InlineData("ls *.log /var/log/a[a-z]*", "ls *.log,/var/log/a[a-z]*")]
    [InlineData("ls /var/log/..x", "ls /var/log/..x")]
    public void Quoted_specials_and_harmless_words_are_literal(string line, string expected) =>
        Assert.Equal(expected, Read(line));

    [Fact]
    public void A_refused_line_keeps_the_commands_read_before_the_refusal()
    {
        var result = ShellParser.Parse("ls /var/log; echo $(id)");

        Assert.False(result.IsResolved);
        Assert.Equal(["ls"], result.Commands.Select(c => c.Program));
    }

    [Fact]
    public void Too_many_commands_or_too_deep_nesting_or_too_long_a_line_is_refused()
    {
        Assert.Contains("more than 256", Refusal(string.Join(";", Enumerable.Repeat("ls", 300))), StringComparison.Ordinal);
        Assert.Contains("nest deeper", Refusal(string.Concat(Enumerable.Repeat("( ", 40)) + "ls" + new string(')', 40)), StringComparison.Ordinal);
        Assert.Contains("longer than", Refusal("ls " + new string('a', ShellParser.MaxLength)), StringComparison.Ordinal);
    }
}
