// The one reader of the JSON configuration: a typed field, or an error naming file and path.
#include "engine/domain/json_reader.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "engine/domain/event.hpp"

using namespace xyp;
using Catch::Matchers::Message;
using json = nlohmann::json;

TEST_CASE("a field of the wrong type is refused naming the file, the path and what it is") {
  const json_reader reader("p.json");
  const auto doc = json::parse(R"({"tiers":[{"name":7}],"flag":"yes","n":1.5})");
  const auto& tier = reader.array(reader.member(doc, "", "tiers"), "tiers")[0];
  const auto at = json_reader::child(json_reader::element("tiers", 0), "name");
  CHECK(at == "tiers[0].name");
  CHECK_THROWS_MATCHES(reader.text(reader.member(tier, "tiers[0]", "name"), at), config_error,
                       Message("p.json: tiers[0].name: must be a string, not 7"));
  CHECK_THROWS_MATCHES(reader.flag(doc.at("flag"), "flag"), config_error,
                       Message("p.json: flag: must be true or false, not a string"));
  CHECK_THROWS_MATCHES(reader.integer(doc.at("n"), "n"), config_error,
                       Message("p.json: n: must be an integer, not 1.5"));
  CHECK_THROWS_MATCHES(reader.member(doc, "", "clocks"), config_error,
                       Message("p.json: clocks: missing"));
  CHECK_THROWS_MATCHES(reader.known_keys(doc, "", {"tiers", "flag"}), config_error,
                       Message("p.json: n: unknown key (known here: tiers, flag)"));
}

TEST_CASE("a name is read through its enum's table, and a wrong one lists the names") {
  const json_reader reader("p.json");
  CHECK(reader.name_of<channel>(json("phone"), "c[0]", "a channel") == channel::phone);
  CHECK_THROWS_MATCHES(reader.name_of<channel>(json("fax"), "c[1]", "a channel"), config_error,
                       Message("p.json: c[1]: 'fax' is not a channel (window, phone, online)"));
}

TEST_CASE("a key given twice in one object is refused, and text that is not JSON names the file") {
  const json_reader reader("p.json");
  CHECK_THROWS_MATCHES(reader.parse(R"({"a":{"b":1,"b":2}})"), config_error,
                       Message("p.json: a.b: appears twice in one object"));
  CHECK_THROWS_WITH(reader.parse("{"), Catch::Matchers::StartsWith("p.json: not JSON: "));
}
