using Llama.Chat;

namespace Llama.Tests.Chat;

public class DialogJsonTests
{
    [Fact]
    public void Parses_Metas_dialog_format()
    {
        var dialog = DialogJson.Parse("""
            [{"role": "system", "content": "Be brief."},
             {"role": "user", "content": "Hi"},
             {"role": "assistant", "content": "Hello!"},
             {"role": "user", "content": "Bye", "extra": 1}]
            """);
        Assert.Equal(
            [new Message(Role.System, "Be brief."), new Message(Role.User, "Hi"), new Message(Role.Assistant, "Hello!"), new Message(Role.User, "Bye")],
            dialog);
    }

    [Theory]
    [InlineData("bot")]
    [InlineData("User")]
    [InlineData("")]
    public void Unknown_role_fails_with_Metas_role_error(string role)
    {
        var error = Assert.Throws<ChatFormatException>(() => DialogJson.Parse($$"""[{"role": "{{role}}", "content": "x"}]"""));
        Assert.Equal(ChatFormat.RoleError, error.Message);
    }

    [Theory]
    [InlineData("""{"role": "user", "content": "x"}""", "must be a JSON array")]
    [InlineData("""["hello"]""", "Dialog message 0 must be an object")]
    [InlineData("""[{"role": "user"}]""", "Dialog message 0 has no string 'content'")]
    [InlineData("""[{"role": "user", "content": "a"}, {"content": "b"}]""", "Dialog message 1 has no string 'role'")]
    [InlineData("""[{"role": "user", "content": 5}]""", "has no string 'content'")]
    [InlineData("""[{"role": "user", "content": "x"}""", "not valid JSON")]
    public void Malformed_dialogs_are_rejected_clearly(string json, string expected)
    {
        var error = Assert.Throws<ChatFormatException>(() => DialogJson.Parse(json));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Role_names_round_trip()
    {
        foreach (var role in Enum.GetValues<Role>())
        {
            Assert.Equal(role, RoleNames.Parse(role.ToRoleName()));
        }

        Assert.False(RoleNames.TryParse(null, out _));
    }

    [Fact]
    public void Message_content_must_not_be_null()
    {
        Assert.Throws<ArgumentNullException>(() => new Message(Role.User, null!));
        Assert.Throws<ArgumentNullException>(() => new Message(Role.User, "x") with { Content = null! });
    }
}
