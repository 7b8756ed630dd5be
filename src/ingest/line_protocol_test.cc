#include "ingest/line_protocol.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ingest/testing/line_protocol_check.h"

namespace foresight::ingest {
namespace {

struct Decoded {
  DecodeResult result;
  std::vector<LabeledSample> samples;
};

Decoded Decode(std::string_view body, LineProtocolOptions options = {}) {
  Decoded d;
  d.result = DecodeLineProtocol(body, options, &d.samples);
  return d;
}

// The single sample of a one-field line; fails the test otherwise.
LabeledSample One(std::string_view body, LineProtocolOptions options = {}) {
  Decoded d = Decode(body, options);
  EXPECT_FALSE(d.result.first_error) << body << " -> " << d.result.first_error->message;
  EXPECT_EQ(d.samples.size(), 1u) << body;
  return d.samples.empty() ? LabeledSample{} : d.samples[0];
}

// The error message of a one-line body; fails the test if the line was accepted.
std::string ErrorOf(std::string_view body, LineProtocolOptions options = {}) {
  Decoded d = Decode(body, options);
  EXPECT_TRUE(d.result.first_error) << body;
  EXPECT_TRUE(d.samples.empty()) << body;
  return d.result.first_error ? d.result.first_error->message : "";
}

double ValueOf(std::string_view field_value) {
  return One("m v=" + std::string(field_value)).value;
}

std::string Gzip(std::string_view data, int level = Z_DEFAULT_COMPRESSION) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, level, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&zs, data.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

TEST(LineProtocolTest, FieldBecomesMeasurementUnderscoreFieldWithTagsAsLabels) {
  Decoded d = Decode("weather,location=us-midwest,station=a1 temperature=82 1465839830100400200");
  ASSERT_FALSE(d.result.first_error);
  ASSERT_EQ(d.samples.size(), 1u);
  EXPECT_EQ(d.samples[0].labels,
            (Labels{{"__name__", "weather_temperature"}, {"location", "us-midwest"}, {"station", "a1"}}));
  EXPECT_EQ(d.samples[0].ts_ns, 1465839830100400200);
  EXPECT_EQ(d.samples[0].value, 82);
  EXPECT_EQ(d.result.lines, 1u);
  EXPECT_EQ(d.result.points, 1u);
  EXPECT_EQ(d.result.samples, 1u);
  EXPECT_EQ(d.result.bad_lines, 0u);
  EXPECT_TRUE(d.result.ok());
}

TEST(LineProtocolTest, FieldNamedValueIsNamedAfterTheMeasurementAlone) {
  EXPECT_EQ(One("queue_depth,q=jobs value=3 1").labels.metric(), "queue_depth");
  EXPECT_EQ(One("queue_depth,q=jobs values=3 1").labels.metric(), "queue_depth_values");
}

TEST(LineProtocolTest, EachNumericFieldIsOneSampleSharingTagsAndTimestamp) {
  Decoded d = Decode("cpu,host=a usage_user=1.5,usage_system=2i,idle=t,cores=8u 7");
  ASSERT_FALSE(d.result.first_error);
  ASSERT_EQ(d.samples.size(), 4u);
  std::map<std::string, double> by_name;
  for (const auto& s : d.samples) {
    EXPECT_EQ(s.labels.Get("host"), "a");
    EXPECT_EQ(s.labels.size(), 2u);
    EXPECT_EQ(s.ts_ns, 7);
    by_name[std::string(s.labels.metric())] = s.value;
  }
  EXPECT_EQ(by_name, (std::map<std::string, double>{
                         {"cpu_usage_user", 1.5}, {"cpu_usage_system", 2}, {"cpu_idle", 1}, {"cpu_cores", 8}}));
}

TEST(LineProtocolTest, FloatForms) {
  EXPECT_EQ(ValueOf("1"), 1);
  EXPECT_EQ(ValueOf("1.0"), 1);
  EXPECT_EQ(ValueOf("-1.5"), -1.5);
  EXPECT_EQ(ValueOf("1e10"), 1e10);
  EXPECT_EQ(ValueOf("-1.234456e+78"), -1.234456e+78);
  EXPECT_EQ(ValueOf("1.5E-3"), 1.5e-3);
  EXPECT_EQ(ValueOf(".5"), 0.5);
  EXPECT_EQ(ValueOf("5."), 5);
  EXPECT_EQ(ValueOf("-0"), 0);
  // Underflow reads as zero (as InfluxDB's Go parser does); overflow is an error.
  EXPECT_EQ(ValueOf("1e-400"), 0);
  EXPECT_EQ(ValueOf("0.0000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                    "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
                    "000000000000000000000000000000000000000000000000000000000000000000000000000000000001"),
            0);
  EXPECT_EQ(ErrorOf("m v=1e400"), "line 1: out-of-range field value \"1e400\" for field \"v\"");
  EXPECT_EQ(ErrorOf("m v=-1e309"), "line 1: out-of-range field value \"-1e309\" for field \"v\"");
}

TEST(LineProtocolTest, FloatRejectsWhatInfluxDbRejects) {
  for (const char* bad : {"NaN", "nan", "inf", "-Inf", "+1", "0x10", "1e", "1e+", "1.2.3", ".", "-", "12x",
                          "1_000", "--1", "1e5.0", "0x1p3"}) {
    std::string line = std::string("m v=") + bad;
    EXPECT_NE(ErrorOf(line).find("field value"), std::string::npos) << line;
  }
  EXPECT_EQ(ErrorOf("m temp=12x"), "line 1: invalid field value \"12x\" for field \"temp\"");
}

TEST(LineProtocolTest, IntegerAndUnsignedFieldsWithTheirLimits) {
  EXPECT_EQ(ValueOf("1i"), 1);
  EXPECT_EQ(ValueOf("-12485903i"), -12485903);
  EXPECT_EQ(ValueOf("-9223372036854775808i"), -9223372036854775808.0);
  EXPECT_EQ(ValueOf("9223372036854775807i"), 9223372036854775807.0);
  EXPECT_EQ(ValueOf("0u"), 0);
  EXPECT_EQ(ValueOf("18446744073709551615u"), 18446744073709551615.0);
  EXPECT_EQ(ErrorOf("m v=9223372036854775808i"),
            "line 1: out-of-range field value \"9223372036854775808i\" for field \"v\"");
  EXPECT_EQ(ErrorOf("m v=-9223372036854775809i"),
            "line 1: out-of-range field value \"-9223372036854775809i\" for field \"v\"");
  EXPECT_EQ(ErrorOf("m v=18446744073709551616u"),
            "line 1: out-of-range field value \"18446744073709551616u\" for field \"v\"");
  for (const char* bad : {"-1u", "1.5i", "i", "u", "+1i", "1ii", "1iu", "0x1i", "-i"}) {
    std::string line = std::string("m v=") + bad;
    EXPECT_EQ(ErrorOf(line), "line 1: invalid field value \"" + std::string(bad) + "\" for field \"v\"");
  }
}

TEST(LineProtocolTest, EveryBooleanSpelling) {
  for (const char* t : {"t", "T", "true", "True", "TRUE"}) EXPECT_EQ(ValueOf(t), 1) << t;
  for (const char* f : {"f", "F", "false", "False", "FALSE"}) EXPECT_EQ(ValueOf(f), 0) << f;
  for (const char* bad : {"tRue", "yes", "TRUe", "fals", "falsee", "truth"}) {
    EXPECT_EQ(ErrorOf(std::string("m v=") + bad),
              "line 1: invalid field value \"" + std::string(bad) + "\" for field \"v\"");
  }
}

TEST(LineProtocolTest, StringFieldsAreSkippedAndCountedNotErrors) {
  Decoded d = Decode("m s=\"hello\",v=1,t=\"x\" 5\nm only=\"text\" 6");
  ASSERT_FALSE(d.result.first_error);
  ASSERT_EQ(d.samples.size(), 1u);
  EXPECT_EQ(d.samples[0].labels.metric(), "m_v");
  EXPECT_EQ(d.result.skipped_string_fields, 3u);
  EXPECT_EQ(d.result.points, 2u);  // a line of strings only is a point without samples
  EXPECT_EQ(d.result.samples, 1u);
}

TEST(LineProtocolTest, StringValuesMayHoldEscapedQuotesBackslashesAndSeparators) {
  Decoded d = Decode(R"(m s="a \"quoted\" word, x=1 and \\ back\\",v=2,e="",u="tail\\" 9)");
  ASSERT_FALSE(d.result.first_error) << d.result.first_error->message;
  ASSERT_EQ(d.samples.size(), 1u);
  EXPECT_EQ(d.samples[0].value, 2);
  EXPECT_EQ(d.samples[0].ts_ns, 9);
  EXPECT_EQ(d.result.skipped_string_fields, 3u);
  // A literal backslash before an ordinary character is fine too.
  EXPECT_FALSE(Decode(R"(m s="C:\path\x",v=1)").result.first_error);
}

TEST(LineProtocolTest, UnterminatedAndTrailingStringsAreErrors) {
  EXPECT_EQ(ErrorOf(R"(m s="abc)"), "line 1: unterminated string in field \"s\"");
  EXPECT_EQ(ErrorOf(R"(m s="abc\")"), "line 1: unterminated string in field \"s\"");
  EXPECT_EQ(ErrorOf(R"(m s="abc\" 1)"), "line 1: unterminated string in field \"s\"");
  EXPECT_EQ(ErrorOf(R"(m s="abc"x,v=1)"), "line 1: unexpected text after the string of field \"s\"");
  // "\n" ends a line even inside quotes: line protocol has no newlines in values.
  Decoded d = Decode("m s=\"a\nb\",v=1\nm v=2");
  EXPECT_EQ(d.result.first_error->message, "line 1: unterminated string in field \"s\"");
  EXPECT_EQ(d.result.bad_lines, 2u);
  EXPECT_EQ(d.samples.size(), 1u);
}

TEST(LineProtocolTest, MeasurementEscapesCommaAndSpace) {
  EXPECT_EQ(One(R"(my\ meas\,ure value=1)").labels.metric(), "my_meas_ure");
  // '=' needs no escape in a measurement; a backslash before it is literal (both become '_').
  EXPECT_EQ(One(R"(a=b value=1)").labels.metric(), "a_b");
  EXPECT_EQ(One(R"(a\=b value=1)").labels.metric(), "a__b");
}

TEST(LineProtocolTest, TagKeysAndValuesEscapeCommaEqualsAndSpace) {
  LabeledSample s = One(R"(m,tag\ key=va\ l\,u\=e,k\=2=x v=1)");
  EXPECT_EQ(s.labels.Get("tag_key"), "va l,u=e");
  EXPECT_EQ(s.labels.Get("k_2"), "x");
  EXPECT_EQ(ErrorOf("m,t=a=b v=1"), "line 1: unescaped '=' in the value of tag \"t\"");
}

TEST(LineProtocolTest, BackslashesFollowInfluxDbRules) {
  // "\\" is one backslash; a backslash before an ordinary character is literal.
  EXPECT_EQ(One(R"(m,t=a\\b v=1)").labels.Get("t"), R"(a\b)");
  EXPECT_EQ(One(R"(m,t=a\b v=1)").labels.Get("t"), R"(a\b)");
  EXPECT_EQ(One(R"(m,t=a\\\b v=1)").labels.Get("t"), R"(a\\b)");
  EXPECT_EQ(One(R"(m,t=a\\\\ v=1)").labels.Get("t"), R"(a\\)");
  // "\\ " is a backslash and then the separator; "\ " alone is an escaped space.
  EXPECT_EQ(One(R"(m,t=a\\ v=1)").labels.Get("t"), R"(a\)");
  EXPECT_EQ(ErrorOf(R"(m,t=a\ v=1)"), "line 1: unescaped '=' in the value of tag \"t\"");
}

TEST(LineProtocolTest, FieldKeysEscapeCommaEqualsAndSpace) {
  EXPECT_EQ(One(R"(m fi\ eld\=x\,y=1)").labels.metric(), "m_fi_eld_x_y");
}

TEST(LineProtocolTest, NamesAreSanitisedToPrometheusNames) {
  LabeledSample s = One("cpu.load,host-name=a,a:b=c,9x=d 1min=1");
  EXPECT_EQ(s.labels.metric(), "cpu_load_1min");
  EXPECT_EQ(s.labels.Get("host_name"), "a");
  EXPECT_EQ(s.labels.Get("a_b"), "c");  // ':' is allowed in metric names only
  EXPECT_EQ(s.labels.Get("_9x"), "d");  // a leading digit gets a '_'
  EXPECT_EQ(One("1m value=1").labels.metric(), "_1m");
  EXPECT_EQ(One("ns:metric value=1").labels.metric(), "ns:metric");
  // One '_' per UTF-8 character; values keep their bytes.
  LabeledSample u = One("temp\xC3\xA9rature,lieu=\xC3\xA9t\xC3\xA9 v\xE2\x82\xAC=1");
  EXPECT_EQ(u.labels.metric(), "temp_rature_v_");
  EXPECT_EQ(u.labels.Get("lieu"), "\xC3\xA9t\xC3\xA9");
  EXPECT_TRUE(s.labels.Validate().ok());
  EXPECT_TRUE(u.labels.Validate().ok());
}

TEST(LineProtocolTest, MetricNameIsNeverTakenFromATag) {
  EXPECT_EQ(ErrorOf("m,__name__=evil v=1"),
            "line 1: tag key \"__name__\" is reserved (the metric name label)");
  EXPECT_EQ(ErrorOf("m,__name..=evil v=1"),
            "line 1: tag key \"__name..\" is reserved (the metric name label)");
}

TEST(LineProtocolTest, TagsOrFieldsThatSanitiseToOneNameAreRejected) {
  EXPECT_EQ(ErrorOf("m,a.b=1,a_b=2 v=1"), "line 1: tags \"a.b\" and \"a_b\" both map to label \"a_b\"");
  EXPECT_EQ(ErrorOf("m,a=1,a=2 v=1"), "line 1: tags \"a\" and \"a\" both map to label \"a\"");
  EXPECT_EQ(ErrorOf("m x.y=1,x_y=2"), "line 1: fields \"x.y\" and \"x_y\" both map to metric \"m_x_y\"");
  EXPECT_EQ(ErrorOf("m v=1,v=2"), "line 1: fields \"v\" and \"v\" both map to metric \"m_v\"");
}

TEST(LineProtocolTest, TagsInAnyOrderGiveSortedValidLabels) {
  LabeledSample s = One("m,zone=z,Host=h,app=a v=1");
  std::vector<std::string> names;
  for (const auto& l : s.labels) names.push_back(l.name);
  EXPECT_EQ(names, (std::vector<std::string>{"Host", "__name__", "app", "zone"}));
  EXPECT_TRUE(s.labels.Validate().ok());
}

TEST(LineProtocolTest, PrecisionConvertsTimestampsToNanoseconds) {
  auto ts = [](const char* precision, const char* line) {
    LineProtocolOptions o;
    o.precision = precision;
    return One(line, o).ts_ns;
  };
  EXPECT_EQ(ts("ns", "m v=1 1556813561098000001"), 1556813561098000001);
  EXPECT_EQ(ts("us", "m v=1 1556813561098001"), 1556813561098001000);
  EXPECT_EQ(ts("ms", "m v=1 1556813561098"), 1556813561098000000);
  EXPECT_EQ(ts("s", "m v=1 1556813561"), 1556813561000000000);
  EXPECT_EQ(ts("s", "m v=1 -1"), -1'000'000'000);
  EXPECT_EQ(ts("ns", "m v=1 0"), 0);
}

TEST(LineProtocolTest, UnknownPrecisionRefusesTheWholeBody) {
  LineProtocolOptions o;
  o.precision = "sec";
  Decoded d = Decode("m v=1 1\nm v=2 2", o);
  ASSERT_TRUE(d.result.first_error);
  EXPECT_EQ(d.result.first_error->line, 0u);
  EXPECT_EQ(d.result.first_error->message, "invalid precision \"sec\" (want ns, us, ms or s)");
  EXPECT_TRUE(d.samples.empty());
  EXPECT_EQ(ParsePrecision("ms").value(), 1'000'000);
  EXPECT_EQ(ParsePrecision("NS").status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ParsePrecision("h").status().code(), StatusCode::kInvalidArgument);  // 1.x spellings: not taken
  EXPECT_EQ(ParsePrecision("").status().code(), StatusCode::kInvalidArgument);
}

TEST(LineProtocolTest, OutOfRangeAndMalformedTimestampsAreRejected) {
  LineProtocolOptions s;
  s.precision = "s";
  EXPECT_EQ(ErrorOf("m v=1 9300000000", s), "line 1: timestamp \"9300000000\" out of range for precision \"s\"");
  EXPECT_TRUE(Decode("m v=1 9223372036", s).result.ok());
  EXPECT_EQ(ErrorOf("m v=1 9223372036854775807"),
            "line 1: timestamp \"9223372036854775807\" out of range for precision \"ns\"");
  EXPECT_EQ(ErrorOf("m v=1 99999999999999999999"),
            "line 1: timestamp \"99999999999999999999\" out of range for precision \"ns\"");
  EXPECT_EQ(One("m v=1 9223372036854775806").ts_ns, 9223372036854775806);
  EXPECT_EQ(One("m v=1 -9223372036854775806").ts_ns, -9223372036854775806);
  EXPECT_EQ(ErrorOf("m v=1 -9223372036854775807"),
            "line 1: timestamp \"-9223372036854775807\" out of range for precision \"ns\"");
  for (const char* bad : {"12a", "+12", "1.5", "1e9", "-", "0x10"}) {
    EXPECT_EQ(ErrorOf(std::string("m v=1 ") + bad), "line 1: invalid timestamp \"" + std::string(bad) + "\"");
  }
  EXPECT_EQ(ErrorOf("m v=1 1 2"), "line 1: unexpected text after the timestamp: \"2\"");
}

TEST(LineProtocolTest, MissingTimestampTakesDefaultTs) {
  LineProtocolOptions o;
  o.default_ts = 1'700'000'000'000'000'000;
  EXPECT_EQ(One("m v=1", o).ts_ns, o.default_ts);
  EXPECT_EQ(One("m v=1   ", o).ts_ns, o.default_ts);
  EXPECT_EQ(One("m v=1 5", o).ts_ns, 5);
}

TEST(LineProtocolTest, BadLinesAreReportedFirstOneByNumberAndGoodLinesAreKept) {
  const std::string body =
      "cpu,host=a usage=1 1\n"
      "cpu,host=b usage=2 2\n"
      "sensor,room=k temp=12x 3\n"
      "# a comment\n"
      "sensor,room=k\n"
      "mem,host=a used=3i,free=4i 4\n"
      "log msg=\"oops\n"
      "\n"
      "disk,host=a used=5 5\n";
  Decoded d = Decode(body);
  ASSERT_TRUE(d.result.first_error);
  EXPECT_EQ(d.result.first_error->line, 3u);
  EXPECT_EQ(d.result.first_error->message, "line 3: invalid field value \"12x\" for field \"temp\"");
  EXPECT_EQ(d.result.lines, 7u);
  EXPECT_EQ(d.result.points, 4u);
  EXPECT_EQ(d.result.bad_lines, 3u);
  EXPECT_EQ(d.result.samples, 5u);
  ASSERT_EQ(d.samples.size(), 5u);
  std::vector<std::string> names;
  for (const auto& s : d.samples) names.push_back(std::string(s.labels.metric()));
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"cpu_usage", "cpu_usage", "disk_used", "mem_free", "mem_used"}));
  // The others, one at a time, with the physical line number.
  EXPECT_EQ(Decode("a v=1\n\n#\nb v=1\nsensor,room=k").result.first_error->message, "line 5: missing field set");
  EXPECT_EQ(Decode("a v=1\n\n#\nb v=1\nc v=1\n\nlog msg=\"oops").result.first_error->message,
            "line 7: unterminated string in field \"msg\"");
}

TEST(LineProtocolTest, EachMissingPieceIsNamed) {
  EXPECT_EQ(ErrorOf(",t=1 v=1"), "line 1: missing measurement");
  EXPECT_EQ(ErrorOf(" v=1"), "line 1: missing field set");  // leading spaces are skipped: "v=1" is the measurement
  EXPECT_EQ(ErrorOf("m,=1 v=1"), "line 1: missing tag key");
  EXPECT_EQ(ErrorOf("m, v=1"), "line 1: missing tag key");
  EXPECT_EQ(ErrorOf("m,t v=1"), "line 1: missing '=' after tag key \"t\"");
  EXPECT_EQ(ErrorOf("m,t= v=1"), "line 1: missing tag value for tag \"t\"");
  EXPECT_EQ(ErrorOf("m,t=,u=1 v=1"), "line 1: missing tag value for tag \"t\"");
  EXPECT_EQ(ErrorOf("m"), "line 1: missing field set");
  EXPECT_EQ(ErrorOf("m   "), "line 1: missing field set");
  EXPECT_EQ(ErrorOf("m,t=1"), "line 1: missing field set");
  EXPECT_EQ(ErrorOf("m =1"), "line 1: missing field key");
  EXPECT_EQ(ErrorOf("m v=1,"), "line 1: missing field key");
  EXPECT_EQ(ErrorOf("m v=1, w=2"), "line 1: missing field key");
  EXPECT_EQ(ErrorOf("m 123"), "line 1: missing '=' after field key \"123\"");
  EXPECT_EQ(ErrorOf("m v"), "line 1: missing '=' after field key \"v\"");
  EXPECT_EQ(ErrorOf("m v= 1"), "line 1: missing value for field \"v\"");
  EXPECT_EQ(ErrorOf("m v=1,w="), "line 1: missing value for field \"w\"");
}

TEST(LineProtocolTest, LongValuesAreCutInMessages) {
  std::string value(200, '9');
  value += 'x';
  std::string msg = ErrorOf("m v=" + value);
  EXPECT_EQ(msg, "line 1: invalid field value \"" + std::string(64, '9') + "...\" for field \"v\"");
}

TEST(LineProtocolTest, LinesLongerThanTheLimitAreSkippedWhole) {
  std::string ok_line = "m v=1 " + std::string(65536 - 6, '1');  // too many digits, but within the limit
  ASSERT_EQ(ok_line.size(), 65536u);
  EXPECT_NE(ErrorOf(ok_line).find("out of range"), std::string::npos);
  std::string body = "m v=1\n" + ok_line + "1\nm v=2\n";
  Decoded d = Decode(body);
  EXPECT_EQ(d.result.first_error->message, "line 2: line exceeds 65536 bytes");
  EXPECT_EQ(d.samples.size(), 2u);
  LineProtocolOptions o;
  o.max_line_bytes = 10;
  EXPECT_TRUE(Decode("m v=12345\r\n", o).result.ok());  // 9 bytes; "\r\n" not counted
  EXPECT_EQ(ErrorOf("m v=1234567", o), "line 1: line exceeds 10 bytes");
}

TEST(LineProtocolTest, TagCountIsLimitedWithNameIncluded) {
  LineProtocolOptions o;
  o.max_labels = 3;
  EXPECT_EQ(One("m,a=1,b=2 v=1", o).labels.size(), 3u);
  EXPECT_EQ(ErrorOf("m,a=1,b=2,c=3 v=1", o), "line 1: more than 2 tags (max_labels 3 includes __name__)");
  std::string many = "m";
  for (int i = 0; i < 63; ++i) many += ",t" + std::to_string(i) + "=x";
  EXPECT_EQ(One(many + " v=1").labels.size(), 64u);
  EXPECT_EQ(ErrorOf(many + ",t63=x v=1"), "line 1: more than 63 tags (max_labels 64 includes __name__)");
}

TEST(LineProtocolTest, CommentsBlankLinesCrlfAndExtraSpacesAreTolerated) {
  Decoded d = Decode("# header\r\n\r\n   \n  # indented comment\ncpu v=1 1\r\n  mem   v=2   2  \r\nnet v=3");
  ASSERT_FALSE(d.result.first_error) << d.result.first_error->message;
  EXPECT_EQ(d.result.lines, 3u);
  ASSERT_EQ(d.samples.size(), 3u);
  EXPECT_EQ(d.samples[0].ts_ns, 1);
  EXPECT_EQ(d.samples[1].labels.metric(), "mem_v");
  EXPECT_EQ(d.samples[1].ts_ns, 2);
  EXPECT_EQ(d.samples[2].ts_ns, 0);
  EXPECT_TRUE(Decode("").result.ok());
  EXPECT_EQ(Decode("\n\n# only comments\n").result.lines, 0u);
}

TEST(LineProtocolTest, AppendsWithoutClearing) {
  std::vector<LabeledSample> out(2);
  DecodeResult r = DecodeLineProtocol("m v=1", {}, &out);
  EXPECT_TRUE(r.ok());
  EXPECT_EQ(out.size(), 3u);
}

TEST(LineProtocolTest, EverySampleOfAMixedBodyHasValidLabels) {
  std::string body;
  for (int i = 0; i < 200; ++i) {
    body += "m" + std::to_string(i % 7) + ".x-y,host=h" + std::to_string(i) +
            ",k\\ " + std::to_string(i % 3) + "=v\\,w a=1,b" + std::to_string(i % 5) + "=2i,\xC3\xA9=t " +
            std::to_string(i) + "\n";
  }
  Decoded d = Decode(body);
  ASSERT_TRUE(d.result.ok()) << d.result.first_error->message;
  EXPECT_EQ(d.samples.size(), 600u);
  for (const auto& s : d.samples) {
    ASSERT_TRUE(s.labels.Validate().ok()) << s.labels.ToString();
    EXPECT_TRUE(std::isfinite(s.value));
  }
}

// ---- DecodeLineProtocolResolved: same lines, samples and errors as DecodeLineProtocol ----

// Bodies that cover every path: plain lines, escapes in every position, string fields, duplicates, bad
// values and timestamps, tags in another order, a field named "value", comments and blank lines.
const std::vector<std::string>& ResolvedBodies() {
  static const std::vector<std::string> bodies = {
      "cpu,host=a,region=eu usage=1.5,idle=90i 1700000000000000000\n"
      "cpu,host=b,region=eu usage=2.5,idle=80i 1700000000000000000\n",
      "cpu,region=eu,host=a usage=3 1700000001000000000\n",  // same series, tags in another order
      "mem,host=a used=1u,free=2i,ok=t,note=\"x y, z\" 1\n",
      "weird\\ name,tag\\,k=v\\=1,sp=a\\ b value=7\n",
      "bs,t=a\\\\ f=1\nbs,t=a\\\\\\ b f=2\n",
      "fk,host=a f\\ 1=1,f\\=2=2,f\\,3=3\n",
      "dup,host=a x=1,x=2\n",
      "dup2,host=a a-b=1,a_b=2\n",
      "bad,host=a x=1z\nbad,host=a x=\"open\nbad,host=a x=1 12x\nbad,host=a x=1 1 2\n",
      "noval,host=a x=\nnofield,host=a\n=x y=1\nm,=v x=1\nm,t x=1\nm,__name__=z x=1\n",
      "# comment\n\n   \r\nspaced,host=a   x=1    2  \r\n",
      "many,a=1,b=2,c=3,d=4 x=1\n",
      "cpu,host=a,region=eu usage=1.5,idle=90i,extra=1 1700000000000000000\n",  // a new field on a known key
      "str,host=a s=\"q\\\"uote\",x=1\nstr,host=a s=\"q\"x,x=1\n",
      "ts,host=a x=1 -9223372036854775806\nts,host=a x=1 9223372036854775807\n",
      "value,host=a value=1,other=2\n",
      "strings,host=a s=\"only\"\nstrings,bad s=\"only\"\n",  // no numeric field to vouch for the tags
  };
  return bodies;
}

TEST(LineProtocolResolvedTest, AgreesWithTheFullDecoderColdAndCached) {
  for (size_t refuse_every : {size_t{0}, size_t{5}}) {
    testing::NumberingResolver resolver(refuse_every);
    LineSeriesCache cache;
    for (int pass = 0; pass < 2; ++pass) {
      for (const std::string& body : ResolvedBodies()) {
        auto diff = testing::CompareResolvedDecode(body, {}, &cache, &resolver);
        EXPECT_FALSE(diff) << "pass " << pass << " refuse_every " << refuse_every << " body:\n" << body << "\n" << *diff;
      }
    }
    EXPECT_GT(cache.size(), 10u);
  }
}

TEST(LineProtocolResolvedTest, CachedSeriesAreNotResolvedAgain) {
  testing::NumberingResolver resolver;
  LineSeriesCache cache;
  const std::string body = "cpu,host=a,region=eu usage=1.5,idle=90i\ncpu,host=b usage=2\n";
  LineProtocolOptions o;
  std::vector<Sample> first, second;
  auto resolve = [&](const Labels& l) { return resolver(l); };
  ResolvedDecodeResult r1 = DecodeLineProtocolResolved(body, o, &cache, resolve, &first);
  EXPECT_TRUE(r1.ok());
  EXPECT_EQ(resolver.calls, 3u);
  o.default_ts = 99;
  ResolvedDecodeResult r2 = DecodeLineProtocolResolved(body, o, &cache, resolve, &second);
  EXPECT_TRUE(r2.ok());
  EXPECT_EQ(resolver.calls, 3u) << "a cached series went to the resolver again";
  ASSERT_EQ(second.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(second[i].series_id, first[i].series_id);
    EXPECT_EQ(second[i].ts_ns, 99);
  }
  // Tags in another order are other bytes: resolved once more, to the same id.
  std::vector<Sample> third;
  (void)DecodeLineProtocolResolved("cpu,region=eu,host=a usage=4\n", o, &cache, resolve, &third);
  EXPECT_EQ(resolver.calls, 4u);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third[0].series_id, first[0].series_id);
}

TEST(LineProtocolResolvedTest, ATagLimitChangeEmptiesTheCacheAndIsEnforced) {
  testing::NumberingResolver resolver;
  LineSeriesCache cache;
  const std::string body = "m,a=1,b=2,c=3 x=1\n";
  EXPECT_FALSE(testing::CompareResolvedDecode(body, {}, &cache, &resolver));
  LineProtocolOptions tight;
  tight.max_labels = 3;  // __name__ and two tags: the cached line is now bad
  auto diff = testing::CompareResolvedDecode(body, tight, &cache, &resolver);
  EXPECT_FALSE(diff) << *diff;
  std::vector<Sample> out;
  auto r = DecodeLineProtocolResolved(body, tight, &cache, [&](const Labels& l) { return resolver(l); }, &out);
  ASSERT_TRUE(r.first_error);
  EXPECT_NE(r.first_error->message.find("more than 2 tags"), std::string::npos) << r.first_error->message;
  EXPECT_TRUE(out.empty());
}

TEST(LineProtocolResolvedTest, AFullCacheEmptiesAndRefills) {
  testing::NumberingResolver resolver;
  LineSeriesCache cache(/*max_entries=*/16);
  std::string body;
  for (int i = 0; i < 100; ++i) body += "m,host=h" + std::to_string(i) + " x=1,y=2\n";
  for (int pass = 0; pass < 3; ++pass) {
    auto diff = testing::CompareResolvedDecode(body, {}, &cache, &resolver);
    EXPECT_FALSE(diff) << *diff;
    EXPECT_LE(cache.size(), 16u);
  }
}

TEST(LineProtocolResolvedTest, BadPrecisionAndLongLinesAsTheFullDecoder) {
  testing::NumberingResolver resolver;
  LineSeriesCache cache;
  LineProtocolOptions o;
  o.max_line_bytes = 20;
  EXPECT_FALSE(testing::CompareResolvedDecode("short,h=a x=1\nthis,host=is-a-long-line x=1\n", o, &cache, &resolver));
  o.precision = "h";
  EXPECT_FALSE(testing::CompareResolvedDecode("short,h=a x=1\n", o, &cache, &resolver));
}

TEST(GunzipBodyTest, RoundTrip) {
  std::string text;
  for (int i = 0; i < 10000; ++i) text += "cpu,host=h" + std::to_string(i) + " v=" + std::to_string(i) + "\n";
  Result<std::string> r = GunzipBody(Gzip(text), 1 << 20);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, text);
  EXPECT_EQ(GunzipBody(Gzip(""), 10).value(), "");
}

TEST(GunzipBodyTest, ConcatenatedMembersAreJoined) {
  Result<std::string> r = GunzipBody(Gzip("m v=1\n") + Gzip("m v=2\n"), 1024);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "m v=1\nm v=2\n");
}

TEST(GunzipBodyTest, BombStopsAtTheLimit) {
  std::string zeros(16 << 20, '\0');
  std::string bomb = Gzip(zeros, 9);
  ASSERT_LT(bomb.size(), 64u << 10);
  Result<std::string> r = GunzipBody(bomb, 1 << 20);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(r.status().message(), "gzip body: decompressed size exceeds the limit of 1048576 bytes");
  // Exactly at the limit is fine; one byte over is not.
  std::string exact(1000, 'a');
  EXPECT_TRUE(GunzipBody(Gzip(exact), 1000).ok());
  EXPECT_EQ(GunzipBody(Gzip(exact), 999).status().code(), StatusCode::kResourceExhausted);
}

TEST(GunzipBodyTest, CorruptTruncatedOrNotGzipIsInvalidArgument) {
  std::string gz = Gzip("cpu v=1\ncpu v=2\ncpu v=3\n");
  EXPECT_EQ(GunzipBody("cpu v=1\n", 1024).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GunzipBody("", 1024).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GunzipBody(gz.substr(0, gz.size() - 4), 1024).status().message(), "gzip body: truncated");
  EXPECT_EQ(GunzipBody(gz.substr(0, 5), 1024).status().message(), "gzip body: truncated");
  std::string bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 0x55;  // inside the CRC32 trailer
  EXPECT_EQ(GunzipBody(bad_crc, 1024).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(GunzipBody(gz + "garbage", 1024).status().code(), StatusCode::kInvalidArgument);
}

TEST(SeriesHashTest, EqualLabelSetsHashEqualAndNearMissesDiffer) {
  Labels a({{"__name__", "cpu_usage"}, {"host", "web-1000.prod.example.com"}, {"region", "us-east-1"}});
  Labels b({{"__name__", "cpu_usage"}, {"host", "web-1000.prod.example.com"}, {"region", "us-east-1"}});
  EXPECT_EQ(SeriesHash(a), SeriesHash(b));
  // Boundaries between names and values, and every tail length (the hash reads 8 bytes at a time).
  EXPECT_NE(SeriesHash(Labels({{"a", "bc"}})), SeriesHash(Labels({{"ab", "c"}})));
  EXPECT_NE(SeriesHash(Labels({{"a", "b"}, {"c", "d"}})), SeriesHash(Labels({{"a", "bc"}, {"d", "e"}})));
  std::set<uint64_t> seen;
  for (int n = 1; n <= 40; ++n) {
    for (char last : {'x', 'y'}) {
      std::string v(static_cast<size_t>(n) - 1, 'v');
      v += last;
      seen.insert(SeriesHash(Labels({{"__name__", "m"}, {"host", v}})));
    }
  }
  EXPECT_EQ(seen.size(), 80u);
}

}  // namespace
}  // namespace foresight::ingest
