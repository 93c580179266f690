#include <gtest/gtest.h>

#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "kube/log_redaction.h"
#include "kube/logging.h"

namespace oncoatlas::kube {
namespace {

constexpr char kSecret[] = "s3cr3tV4lue9";

struct Case {
  std::string name;
  std::string text;
};

std::vector<Case> SecretBearingTexts() {
  const std::string s = kSecret;
  const std::string jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW0ifQ." + s + "sig";
  return {
      {"bearer header", "GET /api/v1/pods Authorization: Bearer " + s},
      {"bearer lower case", "sending bearer " + s + " to server"},
      {"authorization header with other scheme", "authorization: Negotiate " + s + " more"},
      {"authorization json", "{\"Authorization\":\"Bearer " + s + "\"}"},
      {"basic auth", "Authorization: Basic " + s + "=="},
      {"token field", "token=" + s},
      {"token yaml", "token: " + s},
      {"token json", "{\"token\": \"" + s + "\", \"user\": \"x\"}"},
      {"token escaped json", "body {\\\"token\\\":\\\"" + s + "\\\"}"},
      {"bearer-token flag", "--bearer-token=" + s},
      {"access_token query", "https://h/cb?access_token=" + s + "&state=1"},
      {"password", "password = '" + s + "'"},
      {"PASSWORD upper", "DB_PASSWORD=" + s},
      {"client secret", "client_secret: " + s},
      {"api key", "X-Api-Key: " + s},
      {"private key pem", "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIE" + s + "\n-----END RSA PRIVATE KEY-----\nafter"},
      {"unterminated pem", "-----BEGIN PRIVATE KEY-----\nMIIE" + s},
      {"ec key pem", "-----BEGIN EC PRIVATE KEY-----" + s + "-----END EC PRIVATE KEY-----"},
      {"base64 pem (kubeconfig data)", "client-key-data: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t" + s},
      {"base64 pem elsewhere", "data=LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t" + s + " tail"},
      {"jwt alone", "got " + jwt + " from file"},
      {"token with quote in value", "{\"token\":\"ab\\\"c" + s + "\"}"},
  };
}

TEST(RedactSecrets, RemovesEverySecretForm) {
  for (const Case& c : SecretBearingTexts()) {
    const std::string out = RedactSecrets(c.text);
    EXPECT_EQ(out.find(kSecret), std::string::npos) << c.name << ": " << out;
    EXPECT_NE(out.find(kRedacted), std::string::npos) << c.name << ": " << out;
  }
}

TEST(RedactSecrets, KeepsOrdinaryText) {
  for (const std::string& text :
       {std::string("reconciled datanode \"site-a\" in 12 ms"), std::string("basic checks passed"),
        std::string("token expired, reading the file again"), std::string("namespace=oncoatlas-node-a name=x"),
        std::string("")}) {
    EXPECT_EQ(RedactSecrets(text), text);
  }
}

TEST(RedactSecrets, KeepsTheContextAroundSecrets) {
  // base64("alice:hunter2")
  EXPECT_EQ(RedactSecrets("sent Basic YWxpY2U6aHVudGVyMg== ok"), "sent Basic [REDACTED] ok");
  EXPECT_EQ(RedactSecrets("user=alice password=hunter22 retry=3"), "user=alice password=[REDACTED] retry=3");
  EXPECT_EQ(RedactSecrets("{\"token\":\"abc\",\"n\":1}"), "{\"token\":\"[REDACTED]\",\"n\":1}");
  EXPECT_EQ(RedactSecrets("a\n-----BEGIN CERTIFICATE-----\nxx\n-----END CERTIFICATE-----\nb"), "a\n[REDACTED]\nb");
}

TEST(RedactSecrets, SurvivesHostileInput) {
  std::string big(1 << 20, 'a');
  big += "token=";
  EXPECT_EQ(RedactSecrets(big).size(), big.size());
  std::string weird;
  for (int i = 0; i < 256; ++i) weird += static_cast<char>(i);
  weird += "Bearer\\ token:\"\\";
  (void)RedactSecrets(weird);
  (void)RedactSecrets("-----BEGIN");
  (void)RedactSecrets("eyJ.");
  (void)RedactSecrets("password=\"unterminated\\");
}

// SetUpLogging replaces spdlog's default logger; each test puts the old one back,
// so that later tests do not log into a stream that is gone.
class Logging : public ::testing::Test {
 protected:
  void SetUp() override { saved_ = spdlog::default_logger(); }
  void TearDown() override { spdlog::set_default_logger(saved_); }

 private:
  std::shared_ptr<spdlog::logger> saved_;
};

std::pair<std::shared_ptr<spdlog::logger>, std::shared_ptr<std::ostringstream>> CaptureLogger(LogOptions o) {
  auto out = std::make_shared<std::ostringstream>();
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*out);
  auto logger = SetUpLogging(o, "test", sink);
  return {logger, out};
}

std::vector<std::string> Lines(const std::string& s) {
  std::vector<std::string> lines;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

TEST_F(Logging, TextFormatRedactsAndKeepsOneRecordPerLine) {
  auto [logger, out] = CaptureLogger({LogFormat::kText, spdlog::level::info});
  logger->info("calling API with Authorization: Bearer {}", kSecret);
  logger->warn("two\nlines");
  logger->debug("hidden at info level");
  const auto lines = Lines(out->str());
  ASSERT_EQ(lines.size(), 2u) << out->str();
  EXPECT_NE(lines[0].find(" info [test] calling API with Authorization: [REDACTED]"), std::string::npos) << lines[0];
  EXPECT_EQ(out->str().find(kSecret), std::string::npos);
  EXPECT_NE(lines[1].find(" warn [test] two\\nlines"), std::string::npos) << lines[1];
  EXPECT_EQ(spdlog::default_logger().get(), logger.get());
}

TEST_F(Logging, JsonFormatWritesOneValidObjectPerLine) {
  auto [logger, out] = CaptureLogger({LogFormat::kJson, spdlog::level::debug});
  logger->debug("quote \" backslash \\ newline \n tab \t bell \x07 done");
  logger->error("bad utf8 \xff\xfe and password={}", kSecret);
  logger->trace("below the level");
  const auto lines = Lines(out->str());
  ASSERT_EQ(lines.size(), 2u) << out->str();
  const auto first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["level"], "debug");
  EXPECT_EQ(first["logger"], "test");
  EXPECT_EQ(first["msg"], "quote \" backslash \\ newline \n tab \t bell \x07 done");
  EXPECT_EQ(first["ts"].get<std::string>().size(), 24u) << first["ts"];
  const auto second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["level"], "error");
  const std::string msg = second["msg"];
  EXPECT_NE(msg.find("password=[REDACTED]"), std::string::npos) << msg;
  EXPECT_EQ(out->str().find(kSecret), std::string::npos);
}

TEST_F(Logging, EverySecretFormIsRedactedInBothFormats) {
  for (LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
    auto [logger, out] = CaptureLogger({format, spdlog::level::info});
    for (const Case& c : SecretBearingTexts()) logger->info("{}", c.text);
    EXPECT_EQ(out->str().find(kSecret), std::string::npos) << out->str();
  }
}

TEST_F(Logging, ParsesFlagsWithClearErrors) {
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  auto bad_format = ParseLogFormat("xml");
  ASSERT_FALSE(bad_format.ok());
  EXPECT_NE(bad_format.status().message().find("\"text\" or \"json\""), std::string::npos);
  EXPECT_EQ(*ParseLogLevel("debug"), spdlog::level::debug);
  EXPECT_EQ(*ParseLogLevel("warning"), spdlog::level::warn);
  auto bad_level = ParseLogLevel("loud");
  ASSERT_FALSE(bad_level.ok());
  EXPECT_NE(bad_level.status().message().find("\"loud\""), std::string::npos);
}

}  // namespace
}  // namespace oncoatlas::kube
