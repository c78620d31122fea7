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
        "t.json: tokens[0].role: one of viewer, clerk, supervisor is required");
  CHECK(message(R"({"tokens": [{"token": "aaaaaaaaaaaaaaaa", "role": "viewer"},
                               {"token": "aaaaaaaaaaaaaaaa", "role": "clerk"}]})") ==
        "t.json: tokens[1].token: listed twice");
  CHECK(message(R"({"tokens": [{"token": "aaaaaaaaaaaaaaaa", "role": "viewer", "x": 1}]})") ==
        "t.json: tokens[0].x: unknown key");
  CHECK(message("not json") == "t.json: not valid JSON");
}

TEST_CASE("only a bearer header with a listed token authenticates", "[http][auth]") {
  const std::vector<token_entry> tokens{{"clerk-token-0123456789", role::clerk, "clerk"}};
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
