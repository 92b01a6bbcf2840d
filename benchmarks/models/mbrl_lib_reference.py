#!/usr/bin/python3
"""Reference timings of mbrl-lib's ensemble code path in Debian's PyTorch 1.13 (python3-torch).

mbrl-lib itself is not installable here (no network), so this script re-creates, operation for
operation, what mbrl-lib 0.2 runs for
  - one model-training step (`ModelTrainer` -> `OneDTransitionRewardModel.update`): a bootstrapped
    numpy minibatch, input normalization, GaussianMLP forward (EnsembleLinearLayer: x.matmul(W) + b,
    SiLU), the Gaussian NLL with soft log-variance bounds, backward, Adam with weight decay, and
    loss.item();
  - one `ModelEnv.evaluate_action_sequences` call (PETS): particles tiled, per step the
    random_model propagation (randperm, elites only, un-shuffle), normal sampling, delta targets
    and the cart-pole reward.
It prints the same figures as the C++ benchmarks (gradient steps/s, ms per score call), so both can
be run back to back on one machine: `python3 benchmarks/models/mbrl_lib_reference.py --threads 2`.
"""
import argparse
import time

import numpy as np
import torch
import torch.nn.functional as F


class EnsembleLinearLayer(torch.nn.Module):
    def __init__(self, members, in_size, out_size):
        super().__init__()
        std = 1.0 / (2.0 * np.sqrt(in_size))
        self.weight = torch.nn.Parameter(torch.randn(members, in_size, out_size) * std)
        self.bias = torch.nn.Parameter(torch.zeros(members, 1, out_size))
        self.elite = None

    def forward(self, x):
        if self.elite is not None:
            return x.matmul(self.weight[self.elite, ...]) + self.bias[self.elite, ...]
        return x.matmul(self.weight) + self.bias


class GaussianMLP(torch.nn.Module):
    def __init__(self, in_size, out_size, members=7, layers=4, hidden=200):
        super().__init__()
        sizes = [in_size] + [hidden] * layers
        self.hidden = torch.nn.Sequential(*[
            torch.nn.Sequential(EnsembleLinearLayer(members, a, b), torch.nn.SiLU())
            for a, b in zip(sizes[:-1], sizes[1:])
        ])
        self.head = EnsembleLinearLayer(members, hidden, 2 * out_size)
        self.min_logvar = torch.nn.Parameter(-10 * torch.ones(1, out_size), requires_grad=False)
        self.max_logvar = torch.nn.Parameter(0.5 * torch.ones(1, out_size), requires_grad=False)
        self.out_size = out_size

    def set_elite(self, elite):
        for m in self.modules():
            if isinstance(m, EnsembleLinearLayer):
                m.elite = elite

    def forward(self, x):
        out = self.head(self.hidden(x))
        mean, logvar = out[..., :self.out_size], out[..., self.out_size:]
        logvar = self.max_logvar - F.softplus(self.max_logvar - logvar)
        logvar = self.min_logvar + F.softplus(logvar - self.min_logvar)
        return mean, logvar

    def nll(self, x, target):
        mean, logvar = self.forward(x)
        losses = F.mse_loss(mean, target, reduction="none") * (-logvar).exp() + logvar
        return losses.mean((1, 2)).sum() + 0.01 * (self.max_logvar.sum() - self.min_logvar.sum())


def train_steps_per_second(obs, act, seconds):
    members, batch, n = 7, 256, 20000
    model = GaussianMLP(obs + act, obs)
    optim = torch.optim.Adam(model.parameters(), lr=1e-3, weight_decay=1e-5)
    data_in = np.random.randn(n, obs + act).astype(np.float32)
    data_out = 0.1 * np.random.randn(n, obs).astype(np.float32)
    mu, sd = torch.zeros(obs + act), torch.ones(obs + act)
    rng = np.random.default_rng(0)

    def step():
        idx = rng.integers(0, n, size=(members, batch))  # BootstrapIterator
        x = (torch.from_numpy(data_in[idx]) - mu) / sd
        y = torch.from_numpy(data_out[idx])
        model.train()
        optim.zero_grad()
        loss = model.nll(x, y)
        loss.backward()
        optim.step()
        return loss.item()

    for _ in range(5):
        step()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step()
        count += 1
    return count / (time.perf_counter() - start)


def cartpole_reward(act, next_obs):
    x, theta = next_obs[:, 0], next_obs[:, 1]
    tip_x, tip_y = x - 0.6 * torch.sin(theta), -0.6 * torch.cos(theta)
    dist2 = tip_x.square() + (tip_y - 0.6).square()
    return (torch.exp(-dist2 / 0.36) - 0.01 * act.square().sum(1)).unsqueeze(1)


def score_ms(obs, act, population, horizon, seconds, particles=20):
    model = GaussianMLP(obs + act, obs)
    elite = [0, 1, 2, 3, 4]
    gen = torch.Generator().manual_seed(0)
    actions = torch.rand(population, horizon, act) * 2 - 1
    start_obs = np.random.randn(obs).astype(np.float32)
    mu, sd = torch.zeros(obs + act, dtype=torch.float64), torch.ones(obs + act, dtype=torch.float64)

    def forward_random_model(x):
        idx = torch.randperm(x.shape[0])
        shuffled = x[idx].view(len(elite), x.shape[0] // len(elite), -1)
        model.set_elite(elite)
        mean, logvar = model.forward(shuffled)
        model.set_elite(None)
        mean, logvar = mean.reshape(x.shape[0], -1), logvar.reshape(x.shape[0], -1)
        mean[idx], logvar[idx] = mean.clone(), logvar.clone()
        return mean, logvar

    @torch.no_grad()
    def evaluate():
        obs_batch = torch.from_numpy(np.tile(start_obs, (particles * population, 1)))
        total = torch.zeros(obs_batch.shape[0], 1)
        done = torch.zeros(obs_batch.shape[0], 1, dtype=torch.bool)
        for t in range(horizon):
            a = torch.repeat_interleave(actions[:, t, :], particles, dim=0)
            x = ((torch.cat([obs_batch, a], 1).double() - mu) / sd).float()
            mean, logvar = forward_random_model(x)
            sample = torch.normal(mean, logvar.exp().sqrt(), generator=gen)
            obs_batch = sample + obs_batch
            reward = cartpole_reward(a, obs_batch)
            reward[done] = 0
            total += reward
        return total.reshape(-1, particles).mean(1)

    evaluate()
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        evaluate()
        count += 1
    return 1e3 * (time.perf_counter() - start) / count


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=0, help="0: PyTorch's default")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--what", choices=["all", "train", "score"], default="all")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    if args.what in ("all", "train"):
        for obs, act in [(4, 1), (17, 6)]:
            steps = train_steps_per_second(obs, act, args.seconds)
            print(f"train obs {obs} act {act}: {steps:.1f} gradient steps/s")
    if args.what in ("all", "score"):
        print(f"score cartpole P350 H15: {score_ms(4, 1, 350, 15, args.seconds):.0f} ms per call")
        print(f"score cheetah P400 H30: {score_ms(17, 6, 400, 30, args.seconds):.0f} ms per call")


if __name__ == "__main__":
    main()
