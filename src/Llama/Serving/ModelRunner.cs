using Llama.Model;

namespace Llama.Serving;

/// <summary>
/// Runs a <see cref="StepPlan"/> through the model, as vLLM's model runner does for its scheduler: the batch's inputs,
/// and the forward itself, sampling on the model's device when that saves work there.
/// </summary>
internal sealed class ModelRunner(IPagedModel model)
{
    private readonly IDeviceSampledModel? _onDevice = model as IDeviceSampledModel is { SamplesOnDevice: true } ? (IDeviceSampledModel)model : null;

    /// <summary>The step's inputs, and how the device samples each row when it does; reads the turns, so call it under the engine's lock.</summary>
    public (SequenceInput[] Inputs, RowSampling[]? Sampling) Prepare(StepPlan plan) =>
        ([.. plan.Turns.Select(t => t.Input())], _onDevice is null ? null : [.. plan.Turns.Select(TurnSampler.DeviceRow)]);

    /// <summary>The step's logits (null for rows the device sampled without them) and, when the device sampled, its tokens.</summary>
    public (float[]?[] Logits, int[]? Tokens) Forward(SequenceInput[] inputs, RowSampling[]? sampling)
    {
        if (_onDevice is null)
        {
            return (model.Forward(inputs), null);
        }

        var step = _onDevice.ForwardSampled(inputs, sampling!);
        return (step.Logits, step.Tokens);
    }
}
