"""Facts about the released Glow code (``openai/glow``) that some claims of the post are about, recorded as data.

Each fact quotes the lines it rests on, with the file, the function (and lines where counted) and the commit they
were read at.  The checks in :mod:`.checks` parse these quotes (they do not restate the conclusion), so a reader
can verify every step against the repository: https://github.com/openai/glow.

The repository's first commit is dated 2018-06-19; the post is dated 2018-08-26.  Commit ``1f13529`` below is the
version of ``tfops.py``, ``model.py`` and ``train.py`` that was read; the facts quoted are present in it.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GLOW", "fact"]

REPO = "https://github.com/openai/glow"
CODE_COMMIT = "1f1352977cb1b21c7c0aa83b08efb24dfc216663"
README_COMMIT = "09211ec736f20b801de1d751276e3054d6caf5b6"

#: name → {file, where, commit, text}
GLOW: dict[str, dict[str, Any]] = {
    "actnorm_center": {
        "file": "tfops.py", "where": "actnorm_center", "commit": CODE_COMMIT,
        "text": 'x_mean = tf.reduce_mean(x, [0, 1, 2], keepdims=True)\n'
                'b = get_variable_ddi("b", (1, 1, 1, int_shape(x)[3]), initial_value=-x_mean)',
    },
    "actnorm_scale": {
        "file": "tfops.py", "where": "actnorm_scale", "commit": CODE_COMMIT,
        "text": 'x_var = tf.reduce_mean(x**2, [0, 1, 2], keepdims=True)\n'
                'logdet_factor = int(shape[1])*int(shape[2])\n'
                'if init and False:\n'
                '    # MPI all-reduce\n'
                '    x_var = allreduce_mean(x_var)\n'
                'logs = get_variable_ddi("logs", _shape, initial_value=tf.log(\n'
                '    scale/(tf.sqrt(x_var)+1e-6))/logscale_factor)*logscale_factor',
    },
    "get_variable_ddi": {
        "file": "tfops.py", "where": "get_variable_ddi", "commit": CODE_COMMIT,
        "text": 'w = tf.get_variable(name, shape, dtype, None, trainable=trainable)\n'
                'if init:\n'
                '    w = w.assign(initial_value)',
    },
    "init_run": {
        "file": "model.py", "where": "abstract_model_xy, lines 68-76", "commit": CODE_COMMIT,
        "text": '# === Initialize the parameters\n'
                "if hps.restore_path != '':\n"
                '    m.restore(hps.restore_path)\n'
                'else:\n'
                '    with Z.arg_scope([Z.get_variable_ddi, Z.actnorm], init=True):\n'
                '        results_init = f_loss(None, True, reuse=True)\n'
                '    sess.run(tf.global_variables_initializer())\n'
                "    sess.run(results_init, {feeds['x']: data_init['x'],\n"
                "                            feeds['y']: data_init['y']})",
    },
    "train_args": {
        "file": "train.py", "where": "argument parser (__main__)", "commit": CODE_COMMIT,
        "text": 'parser.add_argument("--n_batch_init", type=int, default=256,\n'
                '                    help="Minibatch size for data-dependent init")\n'
                'parser.add_argument("--width", type=int, default=512,\n'
                '                    help="Width of hidden layers")\n'
                'parser.add_argument("--depth", type=int, default=32,\n'
                '                    help="Depth of network")\n'
                'parser.add_argument("--n_bits_x", type=int, default=8,\n'
                '                    help="Number of bits of x")\n'
                'parser.add_argument("--n_levels", type=int, default=3,\n'
                '                    help="Number of levels")\n'
                'parser.add_argument("--flow_permutation", type=int, default=2,\n'
                '                    help="Type of flow. 0=reverse (realnvp), 1=shuffle, 2=invconv (ours)")\n'
                'parser.add_argument("--flow_coupling", type=int, default=0,\n'
                '                    help="Coupling type: 0=additive, 1=affine")',
    },
    "readme_celeba": {
        "file": "README.md", "where": "CelebA-HQ 256x256 Qualitative result", "commit": README_COMMIT,
        "text": "mpiexec -n 40 python train.py --problem celeba --image_size 256 --n_level 6 --depth 32 "
                "--flow_permutation 2 --flow_coupling 0 --seed 0 --learntop --lr 0.001 --n_bits_x 5",
    },
    "coupling": {
        "file": "model.py", "where": "revnet2d_step and f", "commit": CODE_COMMIT,
        "text": 'if hps.flow_coupling == 0:\n'
                '    z2 += f("f1", z1, hps.width)\n'
                'elif hps.flow_coupling == 1:\n'
                '    h = f("f1", z1, hps.width, n_z)\n'
                '    shift = h[:, :, :, 0::2]\n'
                '    scale = tf.nn.sigmoid(h[:, :, :, 1::2] + 2.)\n'
                'def f(name, h, width, n_out=None):\n'
                '    n_out = n_out or int(h.get_shape()[3])\n'
                '    h = tf.nn.relu(Z.conv2d("l_1", h, width))\n'
                '    h = tf.nn.relu(Z.conv2d("l_2", h, width, filter_size=[1, 1]))\n'
                '    h = Z.conv2d_zeros("l_last", h, n_out)',
    },
    "objective": {
        "file": "model.py", "where": "model._f_loss", "commit": CODE_COMMIT,
        "text": 'x = x / hps.n_bins - .5\n'
                'z = z + tf.random_uniform(tf.shape(z), 0, 1./hps.n_bins)\n'
                'objective += - np.log(hps.n_bins) * np.prod(Z.int_shape(z)[1:])\n'
                'nobj = - objective\n'
                'bits_x = nobj / (np.log(2.) * int(x.get_shape()[1]) * int(\n'
                '    x.get_shape()[2]) * int(x.get_shape()[3]))  # bits per subpixel',
    },
    "temperature": {
        "file": "model.py", "where": "prior.sample and tfops.gaussian_diag", "commit": CODE_COMMIT,
        "text": "z = pz.sample2(pz.eps * tf.reshape(eps_std, [-1, 1, 1, 1]))\n"
                "o.sample2 = lambda eps: mean + tf.exp(logsd) * eps",
    },
}


def fact(name: str) -> dict[str, Any]:
    """A fact with its full reference, ready for a piece of evidence."""
    f = GLOW[name]
    return {**f, "url": f"{REPO}/blob/{f['commit'][:7]}/{f['file']}"}
