using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace LlamaOrleans.Http.Tests;

/// <summary>
/// Generates requests that are each certainly invalid (malformed JSON, wrong types, out-of-range numbers, invalid UTF-8,
/// deep nesting, special tags with a broken field, roles out of order, unknown models, foreign conversation ids, ...),
/// from a seeded random source so a failure can be replayed.
/// </summary>
internal sealed class HostileRequests(int seed, string foreignConversation)
{
    private static readonly string[] SpecialTags = ["[INST]", "[/INST]", "<<SYS>>", "<</SYS>>"];

    private static readonly JsonNode?[] NotStrings = [JsonValue.Create(123), JsonValue.Create(true), new JsonArray(), new JsonObject(), JsonValue.Create(-1.5e300)];
    private static readonly JsonNode?[] NotNumbers = [JsonValue.Create("10"), JsonValue.Create(true), new JsonArray(1), new JsonObject(), JsonValue.Create("NaN")];

    private readonly Random _random = new(seed);

    public sealed record Request(string Name, HttpMethod Method, string Path, byte[] Body, string ContentType = "application/json", (string Name, string Value)[]? Headers = null);

    public Request Next()
    {
        var kind = _random.Next(12);
        return kind switch
        {
            0 => WrongType(),
            1 => OutOfRange(),
            2 => InvalidUtf8(),
            3 => DeeplyNested(),
            4 => SpecialTagsWithBrokenField(),
            5 => BadRoles(),
            6 => Garbage(),
            7 => UnknownModel(),
            8 => ForeignConversation(),
            9 => BadConversationRequest(),
            10 => BadCompletion(),
            _ => WrongTransport(),
        };
    }

    private JsonObject ValidChat() => new()
    {
        ["model"] = "demo",
        ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = Words() }),
        ["max_tokens"] = 4,
        ["temperature"] = 0,
        ["stream"] = _random.Next(2) == 0,
    };

    private string Words() => string.Join(' ', Enumerable.Range(0, _random.Next(1, 6)).Select(_ => Pick(["cat", "dog", "moon", "tell", "story", "ünïcødé", "😀", "\"quoted\"", "\\", "\u0000"])));

    private Request Chat(string name, JsonNode body) => new(name, HttpMethod.Post, "/v1/chat/completions", Encoding.UTF8.GetBytes(body.ToJsonString()));

    private Request WrongType()
    {
        var body = ValidChat();
        var field = Pick(["model", "messages", "role", "content", "temperature", "max_tokens", "top_p", "n", "stream", "seed", "stop", "stream_options"]);
        switch (field)
        {
            case "model":
                body["model"] = Pick(NotStrings)?.DeepClone();
                break;
            case "messages":
                body["messages"] = Pick<JsonNode?>([JsonValue.Create("hello"), JsonValue.Create(5), new JsonObject(), new JsonArray(1, 2), new JsonArray("user"), new JsonArray((JsonNode?)null), null]);
                break;
            case "role":
                body["messages"]![0]!["role"] = Pick<JsonNode?>([JsonValue.Create(1), null, new JsonArray(), JsonValue.Create(false)]);
                break;
            case "content":
                body["messages"]![0]!["content"] = Pick<JsonNode?>([JsonValue.Create(5), new JsonObject(), new JsonArray(1), new JsonArray(new JsonObject { ["type"] = "image_url", ["image_url"] = "http://x" }), null]);
                break;
            case "stream":
                body["stream"] = Pick<JsonNode?>([JsonValue.Create("yes"), JsonValue.Create(1), new JsonArray()]);
                break;
            case "stop":
                body["stop"] = Pick<JsonNode?>([JsonValue.Create(5), new JsonArray(1), new JsonArray("a", "b", "c", "d", "e"), new JsonArray(""), JsonValue.Create(""), new JsonObject()]);
                break;
            case "stream_options":
                body["stream_options"] = Pick<JsonNode?>([JsonValue.Create("usage"), new JsonArray(), new JsonObject { ["include_usage"] = "yes" }]);
                break;
            default:
                body[field] = Pick(NotNumbers)?.DeepClone();
                break;
        }

        return Chat($"wrong type of {field}", body);
    }

    private Request OutOfRange()
    {
        var body = ValidChat();
        var (field, value) = Pick<(string, string)>(
        [
            ("max_tokens", "-1"), ("max_tokens", "0"), ("max_tokens", "-2147483649"), ("max_tokens", "99999999999999999999999"), ("max_tokens", "1.5"),
            ("max_tokens", "1e30"), ("max_tokens", "100000"), ("temperature", "-0.1"), ("temperature", "2.5"), ("temperature", "1e308"),
            ("temperature", "1e400"), ("temperature", "-1e400"), ("top_p", "0"), ("top_p", "-1"), ("top_p", "1.0001"), ("top_p", "1e999"),
            ("n", "2"), ("n", "0"), ("n", "-5"), ("seed", "1e40"), ("seed", "1.5"), ("seed", "18446744073709551616"), ("max_completion_tokens", "-7"),
            ("top_logprobs", "3"), ("logprobs", "1"),
        ]);
        var json = body.ToJsonString();
        json = json.Insert(json.Length - 1, $",\"{field}\":{value}");
        return new($"{field}={value}", HttpMethod.Post, "/v1/chat/completions", Encoding.UTF8.GetBytes(json));
    }

    private Request InvalidUtf8()
    {
        var json = Encoding.UTF8.GetBytes(ValidChat().ToJsonString());
        var bad = Pick<byte[]>([[0xC3, 0x28], [0xFF], [0xE2, 0x82], [0xF0, 0x28, 0x8C, 0xBC], [0xED, 0xA0, 0x80], [0x80]]);
        // Inside the content string, so only the encoding is wrong.
        var position = json.AsSpan().IndexOf("\"content\":\""u8) + "\"content\":\"".Length;
        var body = json[..position].Concat(bad).Concat(json[position..]).ToArray();
        return new("invalid UTF-8", HttpMethod.Post, "/v1/chat/completions", body);
    }

    private Request DeeplyNested()
    {
        var depth = _random.Next(17, 5000);
        var nested = new string('[', depth) + new string(']', depth);
        var where = Pick(["messages", "content", "stop", "model"]);
        var json = where == "content"
            ? $"{{\"model\":\"demo\",\"messages\":[{{\"role\":\"user\",\"content\":{nested}}}]}}"
            : $"{{\"model\":\"demo\",\"messages\":[{{\"role\":\"user\",\"content\":\"hi\"}}],\"{where}\":{nested}}}";
        if (where == "messages")
        {
            json = $"{{\"model\":\"demo\",\"messages\":{nested}}}";
        }

        return new($"nested {depth} in {where}", HttpMethod.Post, "/v1/chat/completions", Encoding.UTF8.GetBytes(json));
    }

    private Request SpecialTagsWithBrokenField()
    {
        var body = ValidChat();
        body["messages"]![0]!["content"] = $"{Pick(SpecialTags)} {Words()} {Pick(SpecialTags)}";
        switch (_random.Next(4))
        {
            case 0:
                body["max_tokens"] = -_random.Next(1, 1000);
                break;
            case 1:
                body["temperature"] = "NaN";
                break;
            case 2:
                ((JsonArray)body["messages"]!).Add(new JsonObject { ["role"] = "assistant", ["content"] = "[/INST] sure" });
                break;
            default:
                body["model"] = "[INST]";
                break;
        }

        return Chat("special tags with a broken field", body);
    }

    private Request BadRoles()
    {
        string[][] orders =
        [
            ["assistant", "user"], ["user", "user"], ["system"], ["user", "assistant"], ["system", "assistant", "user"],
            ["developer", "user"], ["tool"], ["function"], ["USER"], [""], ["user", "system"], ["system", "system", "user"],
        ];
        var order = Pick(orders);
        var messages = new JsonArray([.. order.Select(r => (JsonNode)new JsonObject { ["role"] = r, ["content"] = Words() })]);
        var body = ValidChat();
        body["messages"] = _random.Next(8) == 0 ? new JsonArray() : messages;
        return Chat($"roles {string.Join(',', order)}", body);
    }

    private Request Garbage()
    {
        var json = Pick(
        [
            "", "null", "[]", "42", "\"text\"", "{", "{\"model\":", "{\"model\":\"demo\",}", "{\"model\":\"demo\" \"messages\":[]}",
            "{'model':'demo'}", "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":NaN}",
            "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"temperature\":Infinity}",
            "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]} trailing", "{\"model\":\"demo\",/*c*/\"messages\":[]}",
            "\uFEFF{\"model\":1}", "{\"model\":\"demo\",\"messages\":[{\"role\":\"user\",\"content\":\"\\ud800\"}],\"max_tokens\":-3}",
        ]);
        return new($"garbage '{json}'", HttpMethod.Post, Pick(["/v1/chat/completions", "/v1/completions", "/v1/conversations"]), Encoding.UTF8.GetBytes(json));
    }

    private Request UnknownModel()
    {
        var body = ValidChat();
        body["model"] = Pick(["gpt-4", "../bob", "demo ", "DEMO", "", " ", new string('m', 5000), "demo\u0000", "😀", "bob/conv_x"]);
        return Chat($"unknown model", body);
    }

    private Request ForeignConversation()
    {
        var target = Pick([foreignConversation, foreignConversation.ToUpperInvariant(), $"../bob/{foreignConversation}", "conv_" + new string('0', 32), "%2e%2e", new string('x', 65)]);
        var escaped = Uri.EscapeDataString(target);
        return _random.Next(4) switch
        {
            0 => new("foreign conversation get", HttpMethod.Get, $"/v1/conversations/{escaped}", []),
            1 => new("foreign conversation history", HttpMethod.Get, $"/v1/conversations/{escaped}/messages", []),
            2 => new("foreign conversation send", HttpMethod.Post, $"/v1/conversations/{escaped}/messages",
                Encoding.UTF8.GetBytes($"{{\"content\":\"{Words()}\",\"stream\":{(_random.Next(2) == 0 ? "true" : "false")}}}")),
            _ => new("foreign conversation via header", HttpMethod.Post, "/v1/chat/completions",
                Encoding.UTF8.GetBytes(ValidChat().ToJsonString()), Headers: [("X-Conversation-Id", target)]),
        };
    }

    private Request BadConversationRequest()
    {
        var (name, json) = Pick<(string, string)>(
        [
            ("policy", "{\"model\":\"demo\",\"context_policy\":\"forget\"}"), ("policy type", "{\"model\":\"demo\",\"context_policy\":3}"),
            ("max tokens", "{\"model\":\"demo\",\"max_tokens\":-1}"), ("max tokens huge", "{\"model\":\"demo\",\"max_tokens\":2147483647}"),
            ("temperature", "{\"model\":\"demo\",\"temperature\":-3}"), ("no model", "{\"system_prompt\":\"hi\"}"),
            ("prompt type", "{\"model\":\"demo\",\"system_prompt\":[1]}"), ("shift type", "{\"model\":\"demo\",\"context_shift\":\"on\"}"),
        ]);
        return new($"conversation {name}", HttpMethod.Post, "/v1/conversations", Encoding.UTF8.GetBytes(json));
    }

    private Request BadCompletion()
    {
        var (name, json) = Pick<(string, string)>(
        [
            ("logprobs", "{\"model\":\"demo\",\"prompt\":\"Once\",\"logprobs\":6}"),
            ("echo logprobs", "{\"model\":\"demo\",\"prompt\":\"Once\",\"logprobs\":1,\"echo\":true}"), ("suffix", "{\"model\":\"demo\",\"prompt\":\"Once\",\"suffix\":\"end\"}"),
            ("no prompt", "{\"model\":\"demo\"}"), ("prompt tokens", "{\"model\":\"demo\",\"prompt\":[1,2,3]}"),
            ("two prompts", "{\"model\":\"demo\",\"prompt\":[\"a\",\"b\"]}"), ("echo type", "{\"model\":\"demo\",\"prompt\":\"a\",\"echo\":\"yes\"}"),
            ("negative", "{\"model\":\"demo\",\"prompt\":\"a\",\"max_tokens\":-16}"), ("too long", $"{{\"model\":\"demo\",\"prompt\":\"{string.Concat(Enumerable.Repeat("the dog ran. ", 400))}\"}}"),
        ]);
        return new($"completion {name}", HttpMethod.Post, "/v1/completions", Encoding.UTF8.GetBytes(json));
    }

    private Request WrongTransport()
    {
        var json = Encoding.UTF8.GetBytes(ValidChat().ToJsonString());
        return _random.Next(4) switch
        {
            0 => new("form content type", HttpMethod.Post, "/v1/chat/completions", json, "application/x-www-form-urlencoded"),
            1 => new("text content type", HttpMethod.Post, "/v1/completions", json, "text/plain"),
            2 => new("wrong method", Pick([HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch]), "/v1/chat/completions", json),
            _ => new("unknown path", HttpMethod.Get, "/v1/" + Pick(["admin", "conversations/x/y/z", "models/demo/weights", "usage/all", "%2e%2e/admin"]), []),
        };
    }

    private T Pick<T>(T[] items) => items[_random.Next(items.Length)];

    public override string ToString() => seed.ToString(CultureInfo.InvariantCulture);
}
