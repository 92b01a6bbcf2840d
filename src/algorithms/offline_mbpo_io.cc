// Offline loop checkpoints and the `mopo` config factory.
#include <cmath>
#include <filesystem>

#include <torch/torch.h>

#include "mbrl/agents/agent_registry.h"
#include "mbrl/agents/sac_agent.h"
#include "mbrl/algorithms/offline_mbpo.h"
#include "mbrl/config/config_node.h"
#include "mbrl/core/build_context.h"
#include "mbrl/core/check.h"
#include "mbrl/envs/env_registry.h"
#include "mbrl/io/checkpoint_archive.h"

namespace mbrl {

using torch::serialize::InputArchive;
using torch::serialize::OutputArchive;

void OfflineMbpo::save_checkpoint(OutputArchive& archive) const {
  checkpoint::write_int(archive, "gradient_steps", steps_);
  checkpoint::write_double(archive, "elapsed_s", elapsed_s_);
  checkpoint::write_int(archive, "dataset_rows", real_->size());
  checkpoint::write_double(archive, "dataset_checksum", dataset_checksum_);
  write_evaluations(archive, "evaluations", evaluations_);
  archive.write("update_sums", torch::tensor(update_sums_, torch::kDouble));
  checkpoint::write_int(archive, "updates_in_row", updates_in_row_);
  checkpoint::write_double(archive, "bellman_penalty_sum", bellman_penalty_sum_);
  checkpoint::write_nested(archive, "agent", [&](OutputArchive& a) { agent_->save(a); });
  if (model_) {
    checkpoint::write_nested(archive, "model", [&](OutputArchive& a) { model_->save(a); });
    checkpoint::write_int(archive, "model_buffer_capacity", model_buffer_->capacity());
    checkpoint::write_nested(archive, "model_buffer",
                             [&](OutputArchive& a) { model_buffer_->save(a); });
  }
  checkpoint::write_generator(archive, "gen_replay", gens_.replay);
  checkpoint::write_generator(archive, "gen_model", gens_.model);
  checkpoint::write_generator(archive, "gen_rollout", gens_.rollout);
  checkpoint::write_generator(archive, "gen_model_env", gens_.model_env);
  if (dynamics_reward_) {
    checkpoint::write_nested(archive, "dynamics_reward",
                             [&](OutputArchive& a) { (*dynamics_reward_)->save(a); });
    checkpoint::write_generator(archive, "gen_dynamics_reward", gens_.dynamics_reward);
  }
}

void OfflineMbpo::write_model_file(const std::filesystem::path& path) const {
  checkpoint::save_file(path, "the model file", [&](OutputArchive& archive) {
    checkpoint::write_int(archive, "dataset_rows", real_->size());
    checkpoint::write_double(archive, "dataset_checksum", dataset_checksum_);
    checkpoint::write_nested(archive, "model", [&](OutputArchive& a) { model_->save(a); });
  });
}

void OfflineMbpo::read_model_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) throw IoError(path, "no such file");
  InputArchive archive = checkpoint::load_file(path, "a model file");
  try {
    const int64_t rows = checkpoint::read_int(archive, "dataset_rows");
    const double sum = checkpoint::read_double(archive, "dataset_checksum");
    if (rows != real_->size() || sum != dataset_checksum_) {
      throw DataError(detail::str(path, ": fitted on another dataset (", rows, " transitions; ",
                                  options_.dataset(), " has ", real_->size(),
                                  ", or other values)"));
    }
    InputArchive model = checkpoint::read_nested(archive, "model");
    model_->load(model, path);
  } catch (const c10::Error& e) {
    throw DataError(path + ": not a model file of this run: " + e.what_without_backtrace());
  }
}

void OfflineMbpo::load_checkpoint(InputArchive& archive) {
  const int64_t rows = checkpoint::read_int(archive, "dataset_rows");
  const double sum = checkpoint::read_double(archive, "dataset_checksum");
  if (rows != real_->size() || sum != dataset_checksum_) {
    throw DataError(detail::str(options_.dataset(), ": not the dataset this run started with (",
                                real_->size(), " transitions now, ", rows,
                                " in the checkpoint, or other values)"));
  }
  steps_ = checkpoint::read_int(archive, "gradient_steps");
  elapsed_s_ = checkpoint::read_double(archive, "elapsed_s");
  evaluations_ = read_evaluations(archive, "evaluations");
  at::Tensor sums;
  archive.read("update_sums", sums);
  MBRL_CHECK(sums.numel() == static_cast<int64_t>(update_sums_.size()),
             "offline checkpoint: ", sums.numel(), " update metrics, the learner has ",
             update_sums_.size());
  for (size_t i = 0; i < update_sums_.size(); ++i)
    update_sums_[i] = sums[static_cast<int64_t>(i)].item<double>();
  updates_in_row_ = checkpoint::read_int(archive, "updates_in_row");
  bellman_penalty_sum_ = checkpoint::read_double(archive, "bellman_penalty_sum");
  InputArchive agent = checkpoint::read_nested(archive, "agent");
  agent_->load(agent);
  if (model_) {
    InputArchive model = checkpoint::read_nested(archive, "model");
    model_->load(model, "checkpoint entry 'model'");
    const EnvSpec& spec = env_->spec();
    model_buffer_ = std::make_unique<ReplayBuffer>(
        checkpoint::read_int(archive, "model_buffer_capacity"), spec.obs_dim(), spec.act_dim());
    InputArchive buffer = checkpoint::read_nested(archive, "model_buffer");
    model_buffer_->load(buffer, "checkpoint entry 'model_buffer'");
  }
  checkpoint::read_generator(archive, "gen_replay", gens_.replay);
  checkpoint::read_generator(archive, "gen_model", gens_.model);
  checkpoint::read_generator(archive, "gen_rollout", gens_.rollout);
  checkpoint::read_generator(archive, "gen_model_env", gens_.model_env);
  if (dynamics_reward_) {
    InputArchive reward = checkpoint::read_nested(archive, "dynamics_reward");
    (*dynamics_reward_)->load(reward, "checkpoint entry 'dynamics_reward'");
    checkpoint::read_generator(archive, "gen_dynamics_reward", gens_.dynamics_reward);
  }
}

namespace {

// penalty: the default penalty (MOPO max_aleatoric, MOBILE bellman_inconsistency), or nullopt for
// RAVL, whose pessimism is its critic ensemble; `penalty` is then no key. Without a model the
// rollout keys are no keys either.
OfflineMbpoOptions read_options(const ConfigNode& node, std::optional<PenaltyKind> penalty,
                                bool model_based) {
  OfflineMbpoOptions o;
  const bool with_penalty = penalty.has_value();
  if (penalty) o.penalty(*penalty);
  MBRL_READ_OPTION(node, o, dataset);
  if (model_based) MBRL_READ_OPTION(node, o, model_file);
  MBRL_READ_OPTION(node, o, num_steps);
  if (model_based) {
    MBRL_READ_OPTION(node, o, rollout_freq);
    MBRL_READ_OPTION(node, o, rollout_batch_size);
    MBRL_READ_OPTION(node, o, rollout_length);
    MBRL_READ_OPTION(node, o, rollout_history);
    MBRL_READ_OPTION(node, o, model_retain_epochs);
    MBRL_READ_OPTION(node, o, real_ratio);
  }
  if (with_penalty) {
    o.penalty(penalty_kind(node.get_or<std::string>("penalty", penalty_name(o.penalty()))));
    MBRL_READ_OPTION(node, o, penalty_coef);
    if (o.penalty() == PenaltyKind::kBellmanInconsistency)
      MBRL_READ_OPTION(node, o, num_next_samples);
  } else {
    o.penalty(PenaltyKind::kNone);
  }
  if (model_based && node.has("dynamics_reward")) {
    const ConfigNode filter = node.section("dynamics_reward");
    o.dynamics_reward(
        with_config_context(filter, [&] { return dynamics_reward_options_from_config(filter); }));
    MBRL_READ_OPTION(filter, o, candidates_per_member);
    MBRL_READ_OPTION(filter, o, stop_below);
    const auto choice = filter.get_or<std::string>("choice", "best");
    if (choice == "best") {
      o.candidate_choice(CandidateChoice::kBest);
    } else if (choice == "softmax") {
      o.candidate_choice(CandidateChoice::kSoftmax);
    } else {
      throw filter.error("choice", "expected best or softmax, got '" + choice + "'");
    }
    MBRL_READ_OPTION(filter, o, softmax_temperature);
  }
  MBRL_READ_OPTION(node, o, eval_every);
  MBRL_READ_OPTION(node, o, eval_episodes);
  MBRL_READ_OPTION(node, o, checkpoint_every);
  if (node.has("reference_returns")) {
    const auto values = node.get<std::vector<double>>("reference_returns");
    if (values.size() != 2 || !std::isfinite(values[0]) || !std::isfinite(values[1]) ||
        values[0] == values[1]) {
      throw node.error("reference_returns",
                       "expected [random, expert]: two different finite returns");
    }
    o.reference(ReferenceReturns{values[0], values[1], "config"});
  }
  return o;
}

// the offline loop of `type`, with or without a reward penalty, with or without a model
std::shared_ptr<Algorithm> make_offline(const ConfigNode& node, const BuildContext& ctx,
                                        const ConfigNode& agent_node, const std::string& type,
                                        std::optional<PenaltyKind> penalty,
                                        bool model_based = true) {
  OfflineMbpoOptions o =
      with_config_context(node, [&] { return read_options(node, penalty, model_based); });
  const auto& env = ctx.built.env;
  MBRL_ASSERT(env, "algorithm '", type, "' built before the env");
  auto agent = make_policy_learner(agent_node, ctx, type);
  const auto& model = ctx.built.model;
  std::shared_ptr<ModelLearner> learner;
  if (model_based) {
    if (!model) throw node.error("algorithm '" + type + "' needs a 'model' section");
    if (!model->learns_reward())
      throw node.error("algorithm '" + type + "' needs a model with learn_reward: true");
    learner = model_learner_registry().create(node.section("model_training"), model,
                                              o.model_training(), ctx.data_parallel);
    refuse_value_gradient_loss(*learner, node, type);
  } else if (model) {
    throw node.error("algorithm '" + type +
                     "' learns from the dataset alone; remove the 'model' section");
  }
  OfflineMbpoGenerators gens{ctx.cpu_generator("replay"), ctx.cpu_generator("model_training"),
                             ctx.cpu_generator("rollout_starts"), ctx.generator("model_env"),
                             ctx.generator("dynamics_reward")};
  return std::make_shared<OfflineMbpo>(o, env, agent, model_based ? model : nullptr, learner,
                                       env->task_functions(), std::move(gens),
                                       derive_seed(ctx.seed, "eval"));
}

}  // namespace

std::shared_ptr<Algorithm> make_mopo(const ConfigNode& node, const BuildContext& ctx,
                                     const ConfigNode& agent) {
  return make_offline(node, ctx, agent, "mopo", PenaltyKind::kMaxAleatoric);
}

std::shared_ptr<Algorithm> make_mobile(const ConfigNode& node, const BuildContext& ctx,
                                       const ConfigNode& agent) {
  return make_offline(node, ctx, agent, "mobile", PenaltyKind::kBellmanInconsistency);
}

std::shared_ptr<Algorithm> make_offline_model_free(const ConfigNode& node, const BuildContext& ctx,
                                                   const ConfigNode& agent) {
  return make_offline(node, ctx, agent, "offline", std::nullopt, /*model_based=*/false);
}

std::shared_ptr<Algorithm> make_ravl(const ConfigNode& node, const BuildContext& ctx,
                                     const ConfigNode& agent) {
  const std::shared_ptr<Algorithm> ravl = make_offline(node, ctx, agent, "ravl", std::nullopt);
  const auto* sac = dynamic_cast<const SacAgent*>(ravl->agent().get());
  if (sac == nullptr) throw agent.error("type", "algorithm 'ravl' needs agent type sac");
  if (sac->options().num_critics() < 2)
    throw agent.error("num_critics", "algorithm 'ravl' needs at least 2 critics (RAVL: 10)");
  if (sac->options().critic_diversity() <= 0)
    throw agent.error("critic_diversity", "algorithm 'ravl' needs a diversity > 0 (RAVL: 1.0)");
  return ravl;
}

}  // namespace mbrl
