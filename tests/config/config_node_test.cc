// Tests for config/config_node.cc: typed reads, positions in errors, the resolved record and
// the unknown-key check.
#include "mbrl/config/config_node.h"

#include <gtest/gtest.h>
#include <torch/arg.h>

#include "mbrl/config/loader.h"
#include "mbrl/core/check.h"
#include "tests/support/expect_throw.h"

namespace mbrl {
namespace {

ConfigNode parse(const std::string& yaml) { return load_config_string(yaml, "test.yaml"); }

TEST(ConfigNodeTest, ReadsTypedValues) {
  auto c = parse("a: 3\nb: 2.5\nc: true\nd: hello\ne: [1, 2, 3]\nf: [0.5, 1e-3]\n");
  EXPECT_EQ(c.get<int>("a"), 3);
  EXPECT_EQ(c.get<int64_t>("a"), 3);
  EXPECT_DOUBLE_EQ(c.get<double>("b"), 2.5);
  EXPECT_DOUBLE_EQ(c.get<double>("a"), 3.0);  // an integer is a number
  EXPECT_TRUE(c.get<bool>("c"));
  EXPECT_EQ(c.get<std::string>("d"), "hello");
  EXPECT_EQ(c.get<std::vector<int64_t>>("e"), (std::vector<int64_t>{1, 2, 3}));
  EXPECT_EQ(c.get<std::vector<double>>("f"), (std::vector<double>{0.5, 1e-3}));
}

TEST(ConfigNodeTest, DefaultsApplyOnlyWhenAbsent) {
  auto c = parse("a: 3\n");
  EXPECT_EQ(c.get_or("a", 7), 3);
  EXPECT_EQ(c.get_or("missing", 7), 7);
}

struct ReadOptionExample {
  TORCH_ARG(int64_t, steps) = 10;
  TORCH_ARG(double, rate) = 0.5;
};

TEST(ConfigNodeTest, ReadOptionKeepsTheOptionsDefaultWhenTheKeyIsAbsent) {
  auto c = parse("steps: 3\n");
  ReadOptionExample o;
  MBRL_READ_OPTION(c, o, steps);
  MBRL_READ_OPTION(c, o, rate);
  EXPECT_EQ(o.steps(), 3);
  EXPECT_DOUBLE_EQ(o.rate(), 0.5);
  // the default is recorded in the resolved config like any get_or
  EXPECT_DOUBLE_EQ(c.resolved()["rate"].as<double>(), 0.5);
  EXPECT_THROW_WITH(MBRL_READ_OPTION(parse("steps: fast\n"), o, steps), ConfigError, "steps");
}

TEST(ConfigNodeTest, WrongTypeNamesFileLineColumnAndKeyPath) {
  auto c = parse("agent:\n  optimizer:\n    population_size: abc\n");
  auto opt = c.child("agent").child("optimizer");
  EXPECT_THROW_WITH(
      opt.get<int>("population_size"), ConfigError,
      "test.yaml:3:22: agent.optimizer.population_size: expected an integer, got 'abc'");
}

TEST(ConfigNodeTest, RejectsNonIntegralNumbersForIntegers) {
  auto c = parse("n: 3.5\n");
  EXPECT_THROW_WITH(c.get<int>("n"), ConfigError, "n: expected an integer, got '3.5'");
}

TEST(ConfigNodeTest, RejectsNonFiniteNumbers) {
  auto c = parse("x: .nan\ny: nan\n");
  EXPECT_THROW_WITH(c.get<double>("x"), ConfigError, "x: expected a finite number");
  EXPECT_THROW_WITH(c.get<double>("y"), ConfigError, "y: expected a finite number");
}

TEST(ConfigNodeTest, MapWhereScalarExpected) {
  auto c = parse("x:\n  y: 1\n");
  EXPECT_THROW_WITH(c.get<double>("x"), ConfigError, "x: expected a finite number, got a map");
}

TEST(ConfigNodeTest, MissingRequiredKeyNamesTheParent) {
  auto c = parse("env:\n  foo: 1\n");
  EXPECT_THROW_WITH(c.child("env").get<std::string>("type"), ConfigError,
                    "test.yaml:2:3: env: missing required key 'type'");
  EXPECT_THROW_WITH(c.child("agent"), ConfigError, "missing required key 'agent'");
}

TEST(ConfigNodeTest, ResolvedRecordsDefaultsAndValuesRead) {
  auto c = parse("env:\n  type: pendulum\n");
  auto env = c.child("env");
  env.get<std::string>("type");
  env.get_or("gravity", 9.5);
  c.get_or("seed", 4);
  YAML::Node r = c.resolved();
  EXPECT_EQ(r["env"]["type"].as<std::string>(), "pendulum");
  EXPECT_EQ(r["env"]["gravity"].as<std::string>(), "9.5");
  EXPECT_EQ(r["seed"].as<int>(), 4);
  // the resolved text loads back to the same values
  auto again = load_config_string(emit_yaml(r), "resolved.yaml");
  EXPECT_DOUBLE_EQ(again.child("env").get<double>("gravity"), 9.5);
}

TEST(ConfigNodeTest, ShortestRoundTripOfDoubles) {
  auto c = parse("lr: 0.1\n");
  c.get_or("lr", 0.0);
  c.get_or("tiny", 7.5e-4);
  EXPECT_EQ(c.resolved()["lr"].Scalar(), "0.1");
  EXPECT_EQ(c.resolved()["tiny"].Scalar(), "0.00075");
}

TEST(ConfigNodeTest, UnknownKeyListsAllowedKeysAndSuggests) {
  auto c = parse("env:\n  type: pendulum\n  gravty: 3\n");
  auto env = c.child("env");
  env.get<std::string>("type");
  env.get_or("gravity", 10.0);
  EXPECT_THROW_WITH(c.check_all_read(), ConfigError,
                    "test.yaml:3:3: env.gravty: unknown key 'gravty' (did you mean 'gravity'?); "
                    "allowed keys: gravity, type");
}

TEST(ConfigNodeTest, UnreadSectionIsUnknown) {
  auto c = parse("seed: 1\nmodle:\n  x: 1\n");
  c.get_or("seed", 0);
  c.get_or("threads", 0);
  EXPECT_THROW_WITH(c.check_all_read(), ConfigError, "modle: unknown key 'modle'");
}

TEST(ConfigNodeTest, FullyReadConfigPasses) {
  auto c = parse("seed: 1\nenv:\n  type: x\n");
  c.get_or("seed", 0);
  c.child("env").get<std::string>("type");
  EXPECT_NO_THROW(c.check_all_read());
}

TEST(ConfigNodeTest, InvalidArgumentBecomesConfigErrorAtTheKey) {
  auto c = parse("planner:\n  elite_ratio: 1.5\n");
  auto node = c.child("planner");
  EXPECT_THROW_WITH(with_config_context(node,
                                        [&] {
                                          double r = node.get_or("elite_ratio", 0.1);
                                          MBRL_CHECK_ARG(r > 0 && r <= 1, "elite_ratio",
                                                         "expected a number in (0, 1], got ", r);
                                          return r;
                                        }),
                    ConfigError,
                    "test.yaml:2:16: planner.elite_ratio: expected a number in (0, 1], got 1.5");
}

TEST(ConfigNodeTest, SequenceElementsHavePaths) {
  auto c = parse("layers:\n  - {size: 3}\n  - {size: x}\n");
  ASSERT_EQ(c.size(), 0u);
  auto layers = c.yaml()["layers"];
  ASSERT_TRUE(layers.IsSequence());
}

}  // namespace
}  // namespace mbrl
