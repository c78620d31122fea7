#include "engine/domain/json_writer.hpp"

#include <catch2/catch.hpp>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "engine/domain/outbound.hpp"

namespace {

using namespace xyp;
using json = nlohmann::json;

std::string written(std::string_view text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

std::vector<std::string> tricky_strings() {
  std::vector<std::string> strings{"",
                                   "plain",
                                   "\"quoted\"",
                                   "back\\slash",
                                   "/slash",
                                   "line\nbreak\r\ttab\b\f",
                                   "\x7f delete",
                                   "石龙区市场监督管理局",
                                   "emoji \xF0\x9F\x98\x80 and \xE2\x80\xA8 separator",
                                   "\xC2\x80\xDF\xBF\xE0\xA0\x80\xEF\xBF\xBF\xF4\x8F\xBF\xBF",
                                   std::string("nul\0inside", 10)};
  for (int c = 0; c < 0x80; ++c) strings.emplace_back(1, static_cast<char>(c));
  return strings;
}

TEST_CASE("Strings are escaped exactly as nlohmann/json escapes them", "[json-writer]") {
  for (const auto& s : tricky_strings()) {
    INFO(json(s).dump());
    CHECK(written(s) == json(s).dump());
  }
}

TEST_CASE("Bytes that are not UTF-8 become U+FFFD and the text stays valid JSON", "[json-writer]") {
  for (const std::string bad :
       {"\xFF", "a\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "ok\x80ok"}) {
    const std::string text = written(bad);
    INFO(text);
    const json parsed = json::parse(text, nullptr, false);
    REQUIRE_FALSE(parsed.is_discarded());
    CHECK(parsed.get<std::string>().find("\xEF\xBF\xBD") != std::string::npos);
  }
}

TEST_CASE("Bytes that are not UTF-8 are replaced as nlohmann/json's dump replaces them",
          "[json-writer]") {
  // A sequence cut short is one U+FFFD, not one per byte, and the byte that cut it is read again.
  for (const std::string bad :
       {"\xFF", "a\xC3", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82", "ok\x80ok",
        "\xE2\x82\x41", "\xF0\x9F\x98", "\xF0\x9F\x98\xF0\x9F\x98\x80", "\xE4\xB8\"quote",
        "\xF0\x80\x80", "\xC3\xC3\xA9", "中\xE6\x96文"}) {
    INFO(json(bad).dump(-1, ' ', false, json::error_handler_t::replace));
    CHECK(written(bad) == json(bad).dump(-1, ' ', false, json::error_handler_t::replace));
  }
}

TEST_CASE("A byte that needs escaping or checking is found at any place in a long string",
          "[json-writer]") {
  // Plain text is skipped eight bytes at a time: each special byte, at every offset across three
  // words, must still come out as nlohmann/json's dump writes it (invalid UTF-8 replaced).
  const std::vector<std::string> specials{
      std::string(1, '\0'), "\x01", "\x1f",    "\"", "\\", "\x7f", "\xC3\xA9", "\xE4\xB8\xAD",
      "\xF0\x9F\x98\x80",   "\xFF", "\xE4\xB8"};
  for (const auto& special : specials) {
    for (std::size_t at = 0; at < 24; ++at) {
      std::string text(24, 'x');
      text.insert(at, special);
      INFO(json(text).dump(-1, ' ', false, json::error_handler_t::replace));
      CHECK(written(text) == json(text).dump(-1, ' ', false, json::error_handler_t::replace));
    }
  }
}

TEST_CASE("A byte that needs escaping or checking is found among the last bytes of a short string",
          "[json-writer]") {
  // Strings that need nothing are copied whole after a check of eight bytes at a time, the last
  // few padded: a special byte at every place of every length up to two words must still be seen.
  const std::vector<std::string> specials{std::string(1, '\0'), "\x1f", "\"",      "\\",
                                          "\xC3\xA9",           "\xFF", "\xE4\xB8"};
  for (const auto& special : specials) {
    for (std::size_t length = 0; length <= 16; ++length) {
      for (std::size_t at = 0; at <= length; ++at) {
        std::string text(length, 'x');
        text.insert(at, special);
        INFO(json(text).dump(-1, ' ', false, json::error_handler_t::replace));
        CHECK(written(text) == json(text).dump(-1, ' ', false, json::error_handler_t::replace));
      }
    }
  }
}

TEST_CASE("An object's members set in any order are written sorted, as nlohmann/json dumps them",
          "[json-writer]") {
  const std::vector<std::string> missing{"floor_plan", "石龙区\"证明\"", "back\\slash"};
  const std::string name = "张三 \"quoted\" \\ \t\u0001 石龙";
  json_members members;
  members.set("tier", "AAA")
      .set("provisional", true)
      .set("privileges", missing)
      .set("detail", std::string("容缺受理: \"a\" \\ b\n"))
      .set("name", name)
      .set("due_at", nullptr)
      .set("score", std::int64_t{-12})
      .set("no", std::uint64_t{18446744073709551615u})
      .set("partition", std::uint32_t{3})
      .set("count", 0)
      .set("eligible", false)
      .set("missing", std::vector<std::string>{"z", "中文"})
      .set("Upper", std::string_view("sorted before lower case"))
      .set("empty", std::vector<std::string>{});
  const json expected = {{"tier", "AAA"},
                         {"provisional", true},
                         {"privileges", missing},
                         {"detail", "容缺受理: \"a\" \\ b\n"},
                         {"name", name},
                         {"due_at", nullptr},
                         {"score", -12},
                         {"no", 18446744073709551615u},
                         {"partition", 3u},
                         {"count", 0},
                         {"eligible", false},
                         {"missing", {"z", "中文"}},
                         {"Upper", "sorted before lower case"},
                         {"empty", json::array()}};
  CHECK(members.text().str() == expected.dump());
  CHECK(members.text().parsed() == expected);
}

TEST_CASE("Setting a member again replaces its value, as json[key] = value does", "[json-writer]") {
  json_members members;
  members.set("scheme", "shuang_gongshi").set("decision", "approve");
  CHECK(members.contains("scheme"));
  CHECK_FALSE(members.contains("tier"));
  members.set("scheme", "xinyipi").set("tier", "AA");
  CHECK(members.text().str() == R"({"decision":"approve","scheme":"xinyipi","tier":"AA"})");
}

TEST_CASE("No members is an empty object, and empty text is null as a default DOM dumps",
          "[json-writer]") {
  CHECK(json_members().text().str() == "{}");
  CHECK(json_text().str() == json().dump());
}

TEST_CASE("Written data goes into the envelope verbatim, and to_json reads it back",
          "[json-writer]") {
  const std::string text = R"({"detail":"中文 \"q\" \\","kind":"eligibility","tier":"AAA"})";
  const outbound_event e{"evt-1/1", "case.notice", "92410404X8Y350JTN5", "ZZ-2026-000037",
                         instant{}, "evt-1",       json_text(text),      {}};
  std::string out;
  append_outbound(out, e);
  CHECK(out.find(",\"data\":" + text + ",") != std::string::npos);
  CHECK(out == to_json(e).dump());
}

TEST_CASE("Nested objects and arrays come out as nlohmann/json dumps them", "[json-writer]") {
  std::string out;
  json_writer w{out};
  w.begin_object()
      .key("a")
      .begin_array()
      .end_array()
      .key("b")
      .begin_object()
      .end_object()
      .key("c")
      .begin_array()
      .value(std::int64_t{-5})
      .value(std::uint64_t{18446744073709551615u})
      .value(true)
      .value(false)
      .null()
      .begin_array()
      .value("x")
      .end_array()
      .begin_object()
      .field("k", "v")
      .end_object()
      .end_array()
      .field("d", json{{"z", 1}, {"y", {1, 2}}})
      .field("e", 0)
      .end_object();
  const json expected = {
      {"a", json::array()},
      {"b", json::object()},
      {"c", {-5, 18446744073709551615u, true, false, nullptr, {"x"}, {{"k", "v"}}}},
      {"d", {{"z", 1}, {"y", {1, 2}}}},
      {"e", 0}};
  CHECK(out == expected.dump());
}

TEST_CASE("An outbound envelope is written as to_json(e).dump() writes it", "[json-writer]") {
  const outbound_event e{
      "evt-1/1",
      "case.transitioned",
      "92410404X8Y350JTN5",
      "ZZ-\"2026\"\n-000037",
      *parse_rfc3339("2026-11-23T09:30:00.250+08:00"),
      "evt-1",
      json_text::of(json{{"from", nullptr}, {"to", "applied"}, {"privileges", {"石龙", "\t"}}}),
      {}};
  std::string out = "prefix:";
  append_outbound(out, e);
  CHECK(out == "prefix:" + to_json(e).dump());
}

}  // namespace
