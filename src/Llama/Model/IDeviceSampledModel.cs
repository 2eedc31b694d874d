namespace Llama.Model;

/// <summary>
/// A model that can pick each sequence's next token where its logits are, so a step brings back token ids instead of
/// every row's logits.
/// </summary>
public interface IDeviceSampledModel : IPagedModel
{
    /// <summary>Whether sampling there saves work: on a GPU; on the CPU the logits are already in host memory.</summary>
    bool SamplesOnDevice { get; }

    /// <summary>As <see cref="IPagedModel.Forward"/>, sampling each sequence's last row as <paramref name="sampling"/> says.</summary>
    SampledStep ForwardSampled(IReadOnlyList<SequenceInput> batch, IReadOnlyList<RowSampling> sampling);
}
