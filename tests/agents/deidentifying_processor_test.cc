#include "ingest/deidentifying_processor.h"

#include <optional>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

namespace oncoatlas::agent {
namespace {

// Inputs "head:<sop>" form one series; any other input is de-identified alone.
// A member "head:bad" is refused with a reason; an input "mute" with none.
class FakeEngine : public deid::InstanceDeidentifier {
 public:
  Result<deid::DeidentifiedInstance> Deidentify(std::string_view bytes) const override {
    if (bytes == "mute") return InvalidArgumentError("");
    if (!SeriesKey(bytes).empty()) return FailedPreconditionError("series member alone");
    return Make(bytes, "alone");
  }
  std::string SeriesKey(std::string_view bytes) const override {
    return bytes.substr(0, 5) == "head:" ? "series-1" : "";
  }
  bool GroupsSeries() const override { return true; }
  void DeidentifySeries(std::size_t count, const SeriesReader& read, const SeriesResult& done) const override {
    ++series_calls;
    for (std::size_t i = 0; i < count; ++i) {
      auto bytes = read(i);
      if (!bytes.ok()) {
        done(i, bytes.status());
      } else if (*bytes == "head:bad") {
        done(i, InvalidArgumentError("face not found"));
      } else {
        done(i, Make(*bytes, "defaced with " + std::to_string(count)));
      }
    }
  }
  mutable int series_calls = 0;

 private:
  static deid::DeidentifiedInstance Make(std::string_view bytes, const std::string& how) {
    deid::DeidentifiedInstance d;
    d.bytes = std::string(bytes) + " " + how;
    d.study_instance_uid = "2.25.1";
    d.series_instance_uid = "2.25.1.2";
    d.sop_instance_uid = "2.25.1.2." + std::to_string(bytes.size());
    d.patient_pseudonym = "P";
    d.modality = "CT";
    d.body_part = "HEAD";
    d.study_year = 2020;
    return d;
  }
};

TEST(DeidentifyingProcessor, PassesSeriesToTheEngineAndConvertsEachResultAsForOneInput) {
  FakeEngine engine;
  DeidentifyingProcessor processor(engine);
  EXPECT_EQ(processor.SeriesKey("head:1"), "series-1");
  EXPECT_EQ(processor.SeriesKey("plain"), "");

  const std::vector<std::string> inputs{"head:1", "head:bad", "head:333"};
  std::vector<std::optional<ProcessOutcome>> outcomes(inputs.size());
  processor.ProcessSeries(
      inputs.size(), [&](std::size_t i) -> Result<std::string> { return inputs.at(i); },
      [&](std::size_t i, ProcessOutcome o) { outcomes.at(i) = std::move(o); });
  EXPECT_EQ(engine.series_calls, 1);
  ASSERT_TRUE(outcomes[0] && outcomes[0]->instance);
  EXPECT_EQ(outcomes[0]->instance->first, "head:1 defaced with 3");
  EXPECT_EQ(outcomes[0]->instance->second.sop_instance_uid, "2.25.1.2.6");
  EXPECT_EQ(outcomes[0]->instance->second.body_part, "HEAD");
  EXPECT_EQ(outcomes[0]->instance->second.study_year, 2020);
  ASSERT_TRUE(outcomes[1]);
  EXPECT_FALSE(outcomes[1]->instance);
  EXPECT_EQ(outcomes[1]->quarantine_reason, "face not found");
  ASSERT_TRUE(outcomes[2] && outcomes[2]->instance);
  EXPECT_EQ(outcomes[2]->instance->second.sop_instance_uid, "2.25.1.2.8");

  // One input: the same conversion, including the reason given when the engine gives none.
  ProcessOutcome alone = processor.Process("plain");
  ASSERT_TRUE(alone.instance);
  EXPECT_EQ(alone.instance->first, "plain alone");
  EXPECT_EQ(processor.Process("mute").quarantine_reason, "rejected by the de-identification engine");
}

TEST(DeidentifyingProcessor, AnUnreadableSeriesMemberIsQuarantinedForTheReadError) {
  FakeEngine engine;
  DeidentifyingProcessor processor(engine);
  std::vector<std::string> reasons(2);
  processor.ProcessSeries(
      2,
      [&](std::size_t i) -> Result<std::string> {
        if (i == 1) return UnavailableError("spooled input unreadable");
        return std::string("head:1");
      },
      [&](std::size_t i, ProcessOutcome o) { reasons.at(i) = o.instance ? "ok" : o.quarantine_reason; });
  EXPECT_EQ(reasons, (std::vector<std::string>{"ok", "spooled input unreadable"}));
}

}  // namespace
}  // namespace oncoatlas::agent
