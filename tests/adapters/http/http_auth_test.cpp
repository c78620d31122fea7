#include <catch2/catch.hpp>

#include "adapters/http/api.hpp"
#include "adapters/http/auth.hpp"
#include "adapters/http/options.hpp"

using namespace xyp::http;

TEST_CASE("a token file gives each token its role and name", "[http][auth]") {
  const auto tokens = parse_tokens(R"({"tokens": [
      {"token": "viewer-token-0123456789", "role": "viewer", "name": "hall screen"},
      {"token": "clerk-token-0123456789", "role": "clerk"}]})",
                                   "tokens.json");
  REQUIRE(tokens.size() == 2);
  CHECK(tokens[0].grants == role::viewer);
  CHECK(tokens[0].name == "hall screen");
  CHECK(tokens[1].grants == role::clerk);
  CHECK(tokens[1].name == "token-1");
}

TEST_CASE("a token file with a short, repeated or roleless token is refused naming the entry",
          "[http][auth]") {
  auto message = [](const char* text) {
    try {
      parse_tokens(text, "t.json");
    } catch (const token_config_error& e) {
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  CHECK(message(R"({"tokens": [{"token": "short", "role": "viewer"}]})") ==
        "t.json: tokens[0].token: at least 16 characters are required");
  CHECK(message(R"({"tokens": [{"token": "aaaaaaaaaaaaaaaa", "role": "admin"}]})") ==
        "t.json: tokens[0].role: one of viewer, clerk, supervisor, credit_platform, case_system "
        "is required");
  CHECK(message(R"({"tokens": [{"token": "aaaaaaaaaaaaaaaa", "role": "viewer"},
                               {"token": "aaaaaaaaaaaaaaaa", "role": "clerk"}]})") ==
        "t.json: tokens[1].token: listed twice");
  CHECK(message(R"({"tokens": [{"token": "aaaaaaaaaaaaaaaa", "role": "viewer", "x": 1}]})") ==
        "t.json: tokens[0].x: unknown key");
  CHECK(message("not json") == "t.json: not valid JSON");
}

TEST_CASE("only a bearer header with a listed token authenticates", "[http][auth]") {
  const std::vector<token_entry> tokens{{"clerk-token-0123456789", role::clerk, "clerk", "clerk"}};
  CHECK(authenticate(tokens, "Bearer clerk-token-0123456789") == &tokens[0]);
  CHECK(authenticate(tokens, "bearer clerk-token-0123456789") == &tokens[0]);
  CHECK(authenticate(tokens, "Bearer clerk-token-012345678") == nullptr);
  CHECK(authenticate(tokens, "Bearer clerk-token-01234567890") == nullptr);
  CHECK(authenticate(tokens, "Basic clerk-token-0123456789") == nullptr);
  CHECK(authenticate(tokens, "clerk-token-0123456789") == nullptr);
  CHECK(authenticate(tokens, "") == nullptr);
}

TEST_CASE("contacts and personal ids are masked keeping their ends", "[http][auth]") {
  CHECK(mask_contact("13812345678") == "138****5678");
  CHECK(mask_contact("+8613900001111") == "+86*******1111");
  CHECK(mask_contact("0632-1234567") == "063*****4567");
  CHECK(mask_contact("123") == "***");
  CHECK(mask_contact("") == "");
  CHECK(mask_contact("张三丰大侠的邮箱地址") == "张三丰***邮箱地址");
  CHECK(mask_id("11010519491231002X") == "110105********002X");
}

TEST_CASE("cursors round-trip and strangers are refused", "[http][auth]") {
  const page_position p{1763861400000, "ZZ-2026-000001"};
  const auto text = encode_cursor(p);
  CHECK(decode_cursor(text) == p);
  CHECK_FALSE(decode_cursor("!!"));
  CHECK_FALSE(decode_cursor(""));
  CHECK_FALSE(decode_cursor("bm9jb2xvbg"));  // "nocolon"
}

TEST_CASE("listen addresses are host:port", "[http][auth]") {
  CHECK(parse_listen_address("127.0.0.1:8080")->port == 8080);
  CHECK(parse_listen_address("[::1]:0")->host == "::1");
  CHECK_FALSE(parse_listen_address("127.0.0.1"));
  CHECK_FALSE(parse_listen_address("127.0.0.1:99999"));
  CHECK_FALSE(parse_listen_address(":80"));
}

TEST_CASE("the example's tokens and placeholders are refused unless demo tokens are allowed",
          "[http][auth]") {
  const auto example = std::string(XYP_CONFIG_DIR) + "/tokens.example.json";
  CHECK_THROWS_WITH(load_tokens(example), Catch::Contains("tokens[0].token: a demonstration"));
  const auto demo = load_tokens(example, demo_tokens::allowed);
  REQUIRE(demo.size() == 5);
  // The README names these two.
  CHECK(demo[0].token == "viewer-demo-token");
  CHECK(demo[2].token == "supervisor-demo-token");
  for (const char* placeholder :
       {"change-me-viewer-2f6c1e9b7a0d4c3e", "CHANGEME-0123456789abcdef", "my-secret-token-12345",
        "xxxxxxxxxxxxxxxxxxxx", "placeholder-0123456789"}) {
    const std::string text =
        std::string(R"({"tokens": [{"token": ")") + placeholder + R"(", "role": "viewer"}]})";
    CHECK_THROWS_AS(parse_tokens(text, "t.json"), token_config_error);
  }
  CHECK_NOTHROW(parse_tokens(R"({"tokens": [{"token": "9f3c2a7b5d1e4c6a8b0f", "role": "viewer"}]})",
                             "t.json"));
}

TEST_CASE("each role may send only its own kinds of event", "[http][auth]") {
  using xyp::event_type;
  CHECK(may_send(role::credit_platform, event_type::credit_update));
  for (const role r : {role::viewer, role::clerk, role::supervisor, role::case_system}) {
    CHECK_FALSE(may_send(r, event_type::credit_update));
  }
  CHECK(may_send(role::supervisor, event_type::clock_advance));
  for (const role r : {role::viewer, role::clerk, role::credit_platform, role::case_system}) {
    CHECK_FALSE(may_send(r, event_type::clock_advance));
  }
  for (const role r : {role::clerk, role::supervisor, role::case_system}) {
    CHECK(may_send(r, event_type::case_decide));
  }
  CHECK_FALSE(may_send(role::viewer, event_type::case_apply));
  CHECK_FALSE(may_send(role::credit_platform, event_type::case_apply));
  CHECK(sees_personal_data(role::clerk));
  CHECK_FALSE(sees_personal_data(role::viewer));
  CHECK_FALSE(may_read(role::credit_platform));
}

TEST_CASE("a token's actor id comes from the file, or its name when the file gives none",
          "[http][auth]") {
  const auto tokens = parse_tokens(R"({"tokens": [
      {"token": "a1b2c3d4e5f6a7b8c9d0", "role": "clerk", "name": "window 3", "id": "clerk-07"},
      {"token": "f1e2d3c4b5a6f7e8d9c0", "role": "case_system", "name": "case system"}]})",
                                   "tokens.json");
  CHECK(tokens[0].id == "clerk-07");
  CHECK(tokens[1].id == "case system");
  CHECK(actor_role_of(tokens[0].grants) == xyp::actor_role::clerk);
  CHECK(actor_role_of(tokens[1].grants) == xyp::actor_role::system);
}
