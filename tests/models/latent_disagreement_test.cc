// Tests for models/world/latent_disagreement.cc: shapes, a regression the heads learn (and agree
// on where they were trained), the episode-start mask, and bad options.
#include "mbrl/models/world/latent_disagreement.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "mbrl/core/error.h"
#include "mbrl/core/rng.h"
#include "tests/support/expect_throw.h"
#include "tests/support/fixture.h"
#include "tests/support/tensor_matchers.h"

namespace mbrl {
namespace {

constexpr int64_t kFeatures = 6, kAct = 2, kTarget = 4;

LatentDisagreementOptions small() {
  return LatentDisagreementOptions(kFeatures, kAct, kTarget).heads(4).units(32).layers(2).lr(3e-3);
}

// a chunk of two steps whose second latent (the last kTarget features) is a fixed function of the
// first step's features and action
struct Chunk {
  at::Tensor features, action, valid;
};
Chunk chunk(int64_t batch, uint64_t seed, double shift = 0.0) {
  at::Generator gen = make_generator(seed, torch::kCPU);
  Chunk c;
  c.features = torch::randn({2, batch, kFeatures}, gen) + shift;
  c.action = torch::rand({1, batch, kAct}, gen) * 2 - 1;
  const at::Tensor x = torch::cat({c.features[0], c.action[0]}, -1);
  c.features.index_put_({1, torch::indexing::Slice(), torch::indexing::Slice(kFeatures - kTarget)},
                        torch::tanh(x.narrow(1, 0, kTarget) + x.narrow(1, kFeatures, 1)));
  c.valid = torch::ones({1, batch}, torch::kBool);
  return c;
}

class LatentDisagreementTest : public test::MbrlTest {};

TEST_F(LatentDisagreementTest, PredictsEveryHeadAndTheirSpread) {
  torch::manual_seed(0);
  LatentDisagreement d(small());
  const at::Tensor f = torch::randn({5, kFeatures}), a = torch::randn({5, kAct});
  EXPECT_SHAPE(d.predict(f, a), {4, 5, kTarget});
  const at::Tensor u = d.disagreement(f, a);
  EXPECT_SHAPE(u, {5});
  EXPECT_TRUE((u > 0).all().item<bool>());  // independently initialised heads
  const at::Tensor p = d.predict(f, a);
  EXPECT_TENSOR_CLOSE(u, p.std(0, /*unbiased=*/false).mean(-1), 1e-6, 1e-6);
}

TEST_F(LatentDisagreementTest, LearnsTheTransitionAndAgreesWhereItWasTrained) {
  torch::manual_seed(0);
  LatentDisagreement d(small());
  const Chunk train = chunk(256, 1), seen = chunk(256, 2), far = chunk(256, 3, /*shift=*/3.0);
  const auto mean_disagreement = [&](const Chunk& c) {
    return d.disagreement(c.features[0], c.action[0]).mean().item<double>();
  };
  const double seen_before = mean_disagreement(seen);
  const double first = d.train(train.features, train.action, train.valid);
  double last = first;
  for (int i = 0; i < 300; ++i) last = d.train(train.features, train.action, train.valid);
  EXPECT_LT(last, 0.1 * first);
  // the heads come to agree on transitions like the trained ones, less so away from them
  const double seen_after = mean_disagreement(seen), far_after = mean_disagreement(far);
  EXPECT_LT(seen_after, 0.5 * seen_before) << seen_after << " vs " << seen_before;
  EXPECT_LT(seen_after, far_after) << seen_after << " vs " << far_after;
}

TEST_F(LatentDisagreementTest, TransitionsAcrossAnEpisodeStartAreLeftOut) {
  Chunk c = chunk(8, 4);
  // the loss with rows 0-3 masked equals the loss on rows 4-7 alone
  torch::manual_seed(0);
  LatentDisagreement masked(small());
  torch::manual_seed(0);
  LatentDisagreement kept(small());
  at::Tensor valid = c.valid.clone();
  valid.narrow(1, 0, 4).fill_(false);
  const double with_mask = masked.train(c.features, c.action, valid);
  const double without_rows =
      kept.train(c.features.narrow(1, 4, 4), c.action.narrow(1, 4, 4), c.valid.narrow(1, 4, 4));
  EXPECT_DOUBLE_EQ(with_mask, without_rows);
  // nothing valid: no step
  torch::manual_seed(0);
  LatentDisagreement idle(small());
  const at::Tensor before = idle.predict(c.features[0], c.action[0]);
  EXPECT_EQ(idle.train(c.features, c.action, torch::zeros({1, 8}, torch::kBool)), 0.0);
  EXPECT_TRUE(torch::equal(before, idle.predict(c.features[0], c.action[0])));
}

TEST_F(LatentDisagreementTest, RejectsBadOptionsAndShapes) {
  EXPECT_THROW_WITH(LatentDisagreement(small().heads(1)), InvalidArgument, "heads");
  EXPECT_THROW_WITH(LatentDisagreement(small().lr(0)), InvalidArgument, "lr");
  LatentDisagreement d(small());
  EXPECT_THROW_WITH(d.predict(torch::zeros({3, kFeatures + 1}), torch::zeros({3, kAct})),
                    ShapeError, "features");
  EXPECT_THROW_WITH(d.train(torch::zeros({3, 2, kFeatures}), torch::zeros({3, 2, kAct}),
                            torch::ones({2, 2}, torch::kBool)),
                    ShapeError, "action");
}

}  // namespace
}  // namespace mbrl
