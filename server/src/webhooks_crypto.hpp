// The signatures of Lago's webhooks (Lago's Webhook#generate_headers), over OpenSSL:
//   jwt  — an RS256 JWT whose claims are {"data": <the body as sent>, "iss": <the server's URL>},
//          signed with the server's RSA key; verified with the public key the API publishes;
//   hmac — base64 (strict, no newlines) of HMAC-SHA256(body) with the organization's HMAC key.
// The key pair is generated once (2048-bit RSA) and kept in the store as PEM text.
#pragma once

#include <string>
#include <string_view>

namespace tariff::server::webhooks {

struct KeyPair {
  std::string private_pem;  // PKCS#8 "BEGIN PRIVATE KEY"
  std::string public_pem;   // SubjectPublicKeyInfo "BEGIN PUBLIC KEY"
};

// A fresh 2048-bit RSA key pair. Throws std::runtime_error when OpenSSL fails.
KeyPair generate_key_pair();
// The public PEM of a private PEM (throws when it cannot be read).
std::string public_pem_of(const std::string& private_pem);

// RFC 4648 base64, no line breaks (Ruby's Base64.strict_encode64).
std::string base64(std::string_view bytes);
// Ruby's Base64.encode64: base64 with a "\n" after every 60 characters and at the end, as
// Lago publishes its public key.
std::string base64_lines(std::string_view bytes);
// base64url without padding (JWT segments).
std::string base64url(std::string_view bytes);

// "<header>.<claims>.<signature>", header {"alg":"RS256"} (ruby-jwt's), claims
// {"data": data, "iss": issuer}; RSASSA-PKCS1-v1_5 with SHA-256.
std::string jwt_rs256(const std::string& private_pem, const std::string& data, const std::string& issuer);
// base64(HMAC-SHA256(key, body)).
std::string hmac_sha256_base64(const std::string& key, const std::string& body);

}  // namespace tariff::server::webhooks
