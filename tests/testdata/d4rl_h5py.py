"""D4RL-layout HDF5 files written and read by h5py, the way D4RL's own files were made.

Test fixture for tests/io/d4rl_dataset_test.cc; run with Debian's /usr/bin/python3 (python3-h5py).
  write DIR    writes d4rl_like.hdf5 (the gym-mujoco v2 layout) and the bad files into DIR
  inspect FILE prints what h5py sees in FILE, one `key value` line per fact
"""
import sys

import h5py
import numpy as np

N, OBS, ACT, NQ, NV = 50, 17, 6, 9, 9


def values(n, d, offset):
    # exact in float32: multiples of 1/8
    return (np.arange(n * d, dtype=np.float64).reshape(n, d) / 8.0 + offset)


def write_d4rl_like(path, rewards_2d=False, drop=None, **replace):
    """A file in the layout of halfcheetah_medium_replay-v2.hdf5 (D4RL issue #100)."""
    terminals = np.zeros(N, dtype=bool)
    terminals[20] = True
    timeouts = np.zeros(N, dtype=bool)
    timeouts[35] = True
    timeouts[N - 1] = True
    rewards = np.arange(N, dtype=np.float32) - 10.0
    arrays = {
        "observations": values(N, OBS, 0.0).astype(np.float32),
        "actions": values(N, ACT, -3.0).astype(np.float32),
        "next_observations": values(N, OBS, 0.5).astype(np.float32),
        "rewards": rewards.reshape(N, 1) if rewards_2d else rewards,
        "terminals": terminals,
        "timeouts": timeouts,
        "infos/qpos": values(N, NQ, 1.0),  # float64: read as float32
        "infos/qvel": values(N, NV, 2.0),
        "infos/action_log_probs": np.zeros(N, dtype=np.float32),
        "metadata/policy/fc0/weight": np.ones((4, OBS), dtype=np.float32),
    }
    arrays.update(replace)
    for key in drop or []:
        del arrays[key]
    with h5py.File(path, "w") as f:
        for key, value in arrays.items():
            f.create_dataset(key, data=value, compression="gzip")
        f["metadata/algorithm"] = "SAC"  # a variable-length UTF-8 string, as h5py writes str
        f["metadata/iteration"] = np.int64(42)


def write(folder):
    write_d4rl_like(f"{folder}/d4rl_like.hdf5")
    write_d4rl_like(f"{folder}/rewards_n_by_1.hdf5", rewards_2d=True)
    write_d4rl_like(f"{folder}/missing_actions.hdf5", drop=["actions"])
    write_d4rl_like(f"{folder}/short_actions.hdf5",
                    actions=values(N - 1, ACT, 0.0).astype(np.float32))
    nan_obs = values(N, OBS, 0.0).astype(np.float32)
    nan_obs[7, 3] = np.nan
    write_d4rl_like(f"{folder}/nan_observations.hdf5", observations=nan_obs)
    inf_rewards = np.zeros(N, dtype=np.float32)
    inf_rewards[12] = np.inf
    write_d4rl_like(f"{folder}/inf_rewards.hdf5", rewards=inf_rewards)
    write_d4rl_like(f"{folder}/string_observations.hdf5",
                    observations=np.array([b"x"] * N))
    two = np.zeros(N, dtype=np.int64)
    two[4] = 2
    write_d4rl_like(f"{folder}/terminals_two.hdf5", terminals=two)
    write_d4rl_like(f"{folder}/flat_observations.hdf5",
                    observations=np.zeros(N, dtype=np.float32))


def inspect(path):
    with h5py.File(path, "r") as f:
        def show(name, obj):
            if isinstance(obj, h5py.Dataset):
                print(f"{name} dtype {obj.dtype}")
                print(f"{name} shape {list(obj.shape)}")
                print(f"{name} compression {obj.compression}")
                if obj.shape:
                    print(f"{name} sum {float(np.asarray(obj[()], dtype=np.float64).sum())}")
                else:
                    value = obj[()]
                    print(f"{name} value {value.decode() if isinstance(value, bytes) else value}")
        f.visititems(show)


if __name__ == "__main__":
    {"write": write, "inspect": inspect}[sys.argv[1]](sys.argv[2])
