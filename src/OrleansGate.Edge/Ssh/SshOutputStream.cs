namespace OrleansGate.Edge.Ssh;

/// <summary>Which of a command's outputs a chunk came from.</summary>
public enum SshOutputStream
{
    Stdout = 1,
    Stderr = 2,
}
