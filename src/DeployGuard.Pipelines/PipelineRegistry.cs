using DeployGuard.Core.Pipelines;
using DeployGuard.Core.Policy;

namespace DeployGuard.Pipelines;

/// <summary>The pipeline of each <see cref="PipelineType"/>: the one place the controller picks how an app is deployed.</summary>
public sealed class PipelineRegistry
{
    private readonly Dictionary<PipelineType, IPipeline> _pipelines = [];

    public PipelineRegistry(IEnumerable<IPipeline> pipelines)
    {
        ArgumentNullException.ThrowIfNull(pipelines);
        foreach (var pipeline in pipelines)
        {
            // Two implementations of one kind is a composition mistake: which one delivers must not depend on order.
            if (!_pipelines.TryAdd(pipeline.Type, pipeline))
            {
                throw new InvalidOperationException(
                    $"two pipelines are registered for {pipeline.Type}: {_pipelines[pipeline.Type].GetType().Name} and {pipeline.GetType().Name}");
            }
        }
    }

    /// <summary>The kinds that can be delivered.</summary>
    public IReadOnlyCollection<PipelineType> Types => _pipelines.Keys;

    /// <exception cref="InvalidOperationException">No pipeline of that kind is registered.</exception>
    public IPipeline For(PipelineType type) =>
        _pipelines.TryGetValue(type, out var pipeline)
            ? pipeline
            : throw new InvalidOperationException(
                $"no pipeline is registered for {type} (registered: {(_pipelines.Count == 0 ? "none" : string.Join(", ", _pipelines.Keys.Order()))}); call AddDeployGuardPipelines");
}
