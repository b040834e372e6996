// The short explanations the studio opens from its labels: one or two sentences each, in the paper's words.
export const GLOSSARY = {
  supermask: {
    title: 'Supermask',
    text: 'A binary mask over a network whose weights stay at their random initial values. Training searches for the mask, never changes a weight: a good mask alone makes the random network accurate (a “strong lottery ticket”).',
  },
  score: {
    title: 'Score',
    text: 'Every edge (weight) has a learned score. The mask keeps the edges with the largest |score|; gradient descent changes the scores, so edges can swap in and out of the mask.',
  },
  topk: {
    title: 'Top-k',
    text: 'In every layer, at every step, the mask keeps the top (1 − p) fraction of edges by |score| and drops the rest. The mask’s gradient is passed straight through to the scores.',
  },
  pruningRate: {
    title: 'Pruning rate p',
    text: 'The fraction of edges PRUNED (dropped from the mask). The kept fraction is 1 − p: p = 0.832 keeps 16.8% of the edges.',
  },
  dyingEdge: {
    title: 'Dying edge',
    text: 'An edge never selected into the mask at any step of the search so far. The dying ratio d_t is the fraction of a layer’s edges that are dying at step t; it can be at most p.',
  },
  dyingAtTarget: {
    title: 'Dying ratio at the target rate',
    text: 'The fraction of edges never ranked inside the TARGET kept fraction (top 1 − p_T by |score|) at any step. iEP’s early cycles keep far more edges and so “use” most of them trivially; this measure compares EP and iEP like for like.',
  },
  ep: {
    title: 'Edge-popup (EP)',
    text: 'Ramanujan et al. 2020: learn scores and keep the top (1 − p) edges per layer, at the target pruning rate from the first step to the last. Many edges are never tried: they die.',
  },
  iep: {
    title: 'Iterative edge-popup (iEP)',
    text: 'Iwasawa et al. 2023: repeat EP over cycles at rising pruning rates (by default p_c = 1 − 0.8^c), carrying scores over and rewinding the learning rate each cycle. Edges pruned earlier can come back, so the search explores more of the network.',
  },
  dense: {
    title: 'Dense (regular weight)',
    text: 'The same network with its weights trained as usual and nothing pruned: the “regular weight” baseline the seed paper measures supermasks against. It has no mask, so no edge usage.',
  },
  iterand: {
    title: 'IteRand',
    text: 'Chijiwa et al. 2021: edge-popup that every K_per steps re-draws a fraction λ of the currently pruned weights, so the search can reach weights the first draw never offered. Its dying ratio still counts edges, whatever their weight.',
  },
  equalCompute: {
    title: 'Equal compute',
    text: 'iEP gets exactly as many training steps as EP, split over its cycles. The original iEP paper gave every cycle a full EP budget (“full cycles”), so iEP trained several times longer: a verdict must name its budget.',
  },
  cycle: {
    title: 'Cycle',
    text: 'One round of iEP at one pruning rate. Each cycle starts from the previous cycle’s scores with the learning rate rewound; EP is a single cycle.',
  },
  usage: {
    title: 'Edge usage',
    text: 'How often the edges between an output channel (row) and an input channel (column) were selected into the mask, averaged over all steps so far. Bright: always kept; dark: rarely; magenta: never selected (all edges in the cell are dying).',
  },
} as const;

export type Term = keyof typeof GLOSSARY;
