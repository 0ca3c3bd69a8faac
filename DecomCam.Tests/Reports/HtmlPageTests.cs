using DecomCamNet.Batches.Reports;

namespace DecomCamNet.Tests.Reports;

public sealed class HtmlPageTests
{
    [Fact]
    public void TextAndScriptDataFromFilesCannotBecomeMarkup()
    {
        const string evil = "a<script>alert('x')</script>&\"b\"";
        Assert.Equal("a&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;b&quot;", HtmlPage.Escape(evil));
        Assert.Equal("", HtmlPage.Escape(null));

        string json = HtmlPage.ScriptJson(new[] { new { Name = evil } });
        Assert.DoesNotContain("<", json);
        Assert.DoesNotContain(">", json);
        Assert.DoesNotContain("&", json);
        Assert.Equal(evil, System.Text.Json.JsonDocument.Parse(json).RootElement[0].GetProperty("name").GetString()); // camelCase, same text

        Assert.Equal("x%20%23%3F%3Cy%3E.png", HtmlPage.RelativeUrl("x #?<y>.png"));
        Assert.Equal("sub/a%26b.png", HtmlPage.RelativeUrl(@"sub\a&b.png"));
    }

    [Fact]
    public void APageHasItsStyleInlineAndNothingFromTheNetwork()
    {
        string page = HtmlPage.Document("t <1>", "<p>body</p>", "let x = 1;");
        Assert.StartsWith("<!DOCTYPE html>", page);
        Assert.Contains("<title>t &lt;1&gt;</title>", page);
        Assert.Contains("<style>", page);
        Assert.Contains("<script>\nlet x = 1;\n</script>", page);
        Assert.DoesNotContain("http", page);
        Assert.DoesNotContain("<link", page);

        string table = HtmlPage.Table(["a", "b<"], [["1", "x&y"], ["2", "z"]], new HashSet<int> { 0 });
        Assert.Equal("<table>\n<tr><th>a</th><th>b&lt;</th></tr>\n<tr><td class=\"num\">1</td><td>x&amp;y</td></tr>\n" +
            "<tr><td class=\"num\">2</td><td>z</td></tr>\n</table>\n", table);
    }
}
