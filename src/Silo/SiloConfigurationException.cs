namespace LlamaOrleans.Silo;

/// <summary>The silo's configuration is invalid; the message names the key and what is wrong with it.</summary>
public sealed class SiloConfigurationException : Exception
{
    public SiloConfigurationException()
    {
    }

    public SiloConfigurationException(string message)
        : base(message)
    {
    }

    public SiloConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
