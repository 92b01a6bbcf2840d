// Builds an env and an agent from an in-memory config through the installed mbrl, runs one
// episode and prints its return.
#include <cstdio>

#include <mbrl/mbrl.h>

int main() {
  mbrl::register_builtins();
  mbrl::ConfigNode config = mbrl::load_config_string(
      "threads: 1\nenv: {type: cartpole_swingup}\nagent: {type: random}\nalgorithm: {type: "
      "collect, episodes: 1}\n",
      "example");
  mbrl::Experiment experiment(config, "example");
  auto returns = experiment.evaluate(2);
  std::printf("random return %.3f over %zu episodes\n", mbrl::mean_std(returns).first,
              returns.size());
  return 0;
}
