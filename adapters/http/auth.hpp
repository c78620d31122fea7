#pragma once
// Who may call the HTTP API: bearer tokens from configuration, each with a role; and the masking
// that a viewer's responses get.
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "engine/domain/event.hpp"

namespace xyp::http {

// What a token's holder is. People in the back office read (a viewer with contacts masked) and
// send case events (clerk, supervisor); integrations send only their own kind of event: the credit
// platform credit.update, a case handling system case.*.
enum class role { viewer, clerk, supervisor, credit_platform, case_system };
std::string_view to_string(role r);
std::optional<role> role_from(std::string_view text);

// The API's read routes: every role but the credit platform, which only reports credit.
bool may_read(role r);
// Contacts and id numbers unmasked: everyone who may read but a viewer.
bool sees_personal_data(role r);
// Who may post which event: credit.update the credit platform only; case.* a clerk, a supervisor
// or the case system; clock.advance a supervisor only.
bool may_send(role r, event_type type);
// The actor an event posted with this token is stored under (the contract's actor roles).
actor_role actor_role_of(role r);

struct token_entry {
  std::string token;
  role grants = role::viewer;
  std::string name;  // who holds it, for logs; never the token itself
  std::string id;    // the actor id its events carry; the name when the file gives none
};

// A token file that cannot be used; the message names the file and the entry.
class token_config_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Whether demonstration tokens (the published example's, or placeholders such as "change-me")
// may be served: only for a demonstration on loopback, never by default.
enum class demo_tokens { refused, allowed };

// Parses `{"tokens": [{"token": "...", "role": "viewer", "name": "...", "id": "..."}]}`. Tokens
// must be at least 16 characters of visible ASCII and unique; roles one of viewer, clerk,
// supervisor, credit_platform, case_system. A token that reads as a placeholder or a demo value
// ("demo", "example", "change-me", "changeme", "placeholder", "secret", "xxxx") is refused unless
// demo tokens are allowed.
std::vector<token_entry> parse_tokens(std::string_view json_text, std::string_view source,
                                      demo_tokens demo = demo_tokens::refused);
std::vector<token_entry> load_tokens(const std::filesystem::path& file,
                                     demo_tokens demo = demo_tokens::refused);

// Finds the entry of an `Authorization` header value ("Bearer <token>"). Compares against every
// token in time that does not depend on where the first difference is, so response timing does
// not help guess one.
const token_entry* authenticate(const std::vector<token_entry>& tokens,
                                std::string_view authorization);

// "13812345678" -> "138****5678": the first three and last four characters kept when the value
// is long enough, everything else a star; counted in code points so Chinese text masks cleanly.
std::string mask_contact(std::string_view contact);
// An 18-character resident id or credit code: the first six and the last four kept.
std::string mask_id(std::string_view id);

}  // namespace xyp::http
