using OrleansGate.Host.Commands;

namespace OrleansGate.Tests.Commands;

public sealed class KubeConfigExecutableInvocationTests
{
    private const string Dll = "/opt/orleansgate/orleansgate.dll";

    [Fact]
    public void Started_as_the_apphost_it_runs_the_apphost_again()
    {
        var invocation = ExecutableInvocation.Resolve("/opt/orleansgate/orleansgate", Dll, "/usr/bin/dotnet", _ => true);

        Assert.Equal("/opt/orleansgate/orleansgate", invocation.Command);
        Assert.Empty(invocation.Arguments);
    }

    [Fact]
    public void Started_as_dotnet_with_the_dll_it_runs_the_same_dotnet_with_the_dll()
    {
        var invocation = ExecutableInvocation.Resolve("/usr/share/dotnet/dotnet", Dll, null, _ => true);

        Assert.Equal("/usr/share/dotnet/dotnet", invocation.Command);
        Assert.Equal([Dll], invocation.Arguments);
    }

    [Fact]
    public void Hosted_by_another_process_it_runs_the_apphost_next_to_the_dll()
    {
        var invocation = ExecutableInvocation.Resolve("/usr/lib/testhost", Dll, "/usr/bin/dotnet", path => path == "/opt/orleansgate/orleansgate");

        Assert.Equal("/opt/orleansgate/orleansgate", invocation.Command);
        Assert.Empty(invocation.Arguments);
    }

    [Fact]
    public void Hosted_by_another_process_without_an_apphost_it_runs_the_dotnet_host_with_the_dll()
    {
        var invocation = ExecutableInvocation.Resolve("/usr/lib/testhost", Dll, "/usr/bin/dotnet", _ => false);

        Assert.Equal("/usr/bin/dotnet", invocation.Command);
        Assert.Equal([Dll], invocation.Arguments);
    }

    [Fact]
    public void Without_an_apphost_or_a_dotnet_host_it_says_it_cannot_tell()
    {
        Assert.Throws<InvalidOperationException>(() => ExecutableInvocation.Resolve("/usr/lib/testhost", Dll, null, _ => false));
    }
}
