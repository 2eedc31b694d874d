namespace LlamaOrleans.Charts.Tests;

/// <summary>The manifest checks fail on broken manifests, so their passing on the chart's output means something.</summary>
public sealed class ManifestValidatorTests
{
    private const string Pod = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: p
        spec:
          containers:
            - name: c
              image: i
              ports:
                - containerPort: 8080
        """;

    [Fact]
    public async Task A_valid_manifest_passes()
    {
        Assert.Empty(await ManifestValidator.ValidateAsync(Pod));
        Assert.Single(RenderedChart.LoadStrict(Pod));
    }

    [Fact]
    public async Task A_wrong_type_fails_the_schema()
    {
        var errors = await ManifestValidator.ValidateAsync(Pod.Replace("containerPort: 8080", "containerPort: http", StringComparison.Ordinal));

        var error = Assert.Single(errors);
        Assert.Equal(("Pod", "p"), (error.Kind, error.Name));
        Assert.Contains("containerPort must be integer", error.Message);
    }

    [Fact]
    public async Task A_missing_required_field_fails_the_schema()
    {
        var errors = await ManifestValidator.ValidateAsync(Pod.Replace("    - name: c\n      image: i", "    - image: i", StringComparison.Ordinal));

        Assert.Contains("containers/0 must have required property name", Assert.Single(errors).Message);
    }

    [Fact]
    public async Task A_kind_without_a_schema_fails()
    {
        var errors = await ManifestValidator.ValidateAsync(Pod.Replace("kind: Pod", "kind: Pot", StringComparison.Ordinal));

        Assert.Contains("no schema for v1 Pot", Assert.Single(errors).Message);
    }

    [Fact]
    public void An_unknown_field_fails_the_strict_load()
    {
        var misspelt = Pod.Replace("image: i", "image: i\n      imagePullPolicie: Always", StringComparison.Ordinal);

        var error = Assert.ThrowsAny<Exception>(() => RenderedChart.LoadStrict(misspelt));
        Assert.Contains("imagePullPolicie", error.ToString());
    }
}
