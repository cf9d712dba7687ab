// Demo catalog: 10 categories × 6 products, prices in USD cents. The first product becomes id 1 on a
// fresh database (the seed's order body `{"product_id":1,"quantity":2}`) and carries enough stock for
// the load test (500 orders × 2).

export interface SeedCategory {
  slug: string;
  name: string;
  description: string;
  products: Array<[name: string, description: string, priceCents: number]>;
}

export const SEED_CATEGORIES: SeedCategory[] = [
  {
    slug: 'electronics',
    name: 'Electronics',
    description: 'Gadgets, audio and accessories',
    products: [
      ['Wireless Noise-Cancelling Headphones', 'Over-ear bluetooth headphones with 30 hour battery', 19_999],
      ['USB-C Charging Cable 2m', 'Braided USB-C to USB-C cable, 100 W power delivery', 1_299],
      ['Mechanical Keyboard', 'Tenkeyless keyboard with hot-swappable brown switches', 8_950],
      ['4K Webcam', 'Ultra HD webcam with dual microphones and privacy shutter', 12_900],
      ['Portable SSD 1TB', 'Pocket-sized solid state drive, USB 3.2, 1050 MB/s', 10_999],
      ['Smart Speaker', 'Voice-controlled speaker with room-filling sound', 4_999],
    ],
  },
  {
    slug: 'books',
    name: 'Books',
    description: 'Printed books for every reader',
    products: [
      ['Designing Data-Intensive Applications', 'The big ideas behind reliable, scalable systems', 4_599],
      ['Kubernetes in Action', 'Hands-on guide to running applications on Kubernetes', 5_499],
      ['The Pragmatic Programmer', 'Your journey to mastery, 20th anniversary edition', 4_199],
      ['Site Reliability Engineering', 'How Google runs production systems', 3_999],
      ['Refactoring', 'Improving the design of existing code, second edition', 4_799],
      ['Clean Architecture', 'A craftsman guide to software structure and design', 3_499],
    ],
  },
  {
    slug: 'home-kitchen',
    name: 'Home & Kitchen',
    description: 'Cookware, appliances and storage',
    products: [
      ['Cast Iron Skillet 12in', 'Pre-seasoned skillet for stovetop, oven and campfire', 3_495],
      ['Electric Kettle', 'Stainless steel kettle with temperature control', 5_999],
      ['Chef Knife 8in', 'Forged German steel chef knife', 7_900],
      ['Glass Storage Containers', 'Set of 10 oven-safe containers with lids', 3_299],
      ['French Press Coffee Maker', 'Double-wall stainless steel, 1 litre', 2_899],
      ['Bamboo Cutting Board', 'Large reversible board with juice groove', 2_199],
    ],
  },
  {
    slug: 'clothing',
    name: 'Clothing',
    description: 'Everyday apparel',
    products: [
      ['Merino Wool T-Shirt', 'Lightweight, odour-resistant crew neck tee', 6_500],
      ['Waterproof Rain Jacket', 'Packable shell jacket with sealed seams', 11_900],
      ['Slim Fit Chinos', 'Stretch cotton chinos in navy', 5_900],
      ['Running Socks 3-Pack', 'Cushioned, moisture-wicking socks', 1_800],
      ['Fleece Hoodie', 'Recycled polyester full-zip hoodie', 7_400],
      ['Leather Belt', 'Full-grain leather belt with brass buckle', 4_200],
    ],
  },
  {
    slug: 'sports-outdoors',
    name: 'Sports & Outdoors',
    description: 'Gear for training and adventure',
    products: [
      ['Yoga Mat 6mm', 'Non-slip mat with carrying strap', 3_999],
      ['Adjustable Dumbbells', 'Pair of dumbbells adjustable from 2 to 24 kg', 29_900],
      ['Trail Running Shoes', 'Grippy outsole and rock plate for technical trails', 13_500],
      ['Insulated Water Bottle', 'Keeps drinks cold for 24 hours, 750 ml', 2_995],
      ['Two-Person Tent', 'Freestanding backpacking tent, 1.9 kg', 24_900],
      ['Headlamp 400 Lumen', 'Rechargeable headlamp with red light mode', 3_499],
    ],
  },
  {
    slug: 'toys-games',
    name: 'Toys & Games',
    description: 'Fun for all ages',
    products: [
      ['Strategy Board Game', 'Build settlements and trade resources, 3-4 players', 4_499],
      ['1000 Piece Jigsaw Puzzle', 'Mountain lake landscape puzzle', 1_999],
      ['Building Bricks Starter Set', '500 classic bricks in 30 colours', 3_999],
      ['Remote Control Car', 'Off-road RC car with rechargeable battery', 5_999],
      ['Card Game Party Pack', 'Fast party card game for 2-10 players', 1_499],
      ['Wooden Train Set', '60-piece wooden railway with bridge', 6_999],
    ],
  },
  {
    slug: 'beauty',
    name: 'Beauty & Personal Care',
    description: 'Skincare and grooming',
    products: [
      ['Daily Moisturiser SPF 30', 'Lightweight face cream with broad spectrum protection', 2_400],
      ['Electric Toothbrush', 'Sonic toothbrush with pressure sensor', 7_999],
      ['Shampoo Bar', 'Plastic-free shampoo for all hair types', 1_200],
      ['Beard Trimmer', 'Cordless trimmer with 20 length settings', 4_999],
      ['Vitamin C Serum', 'Brightening serum with hyaluronic acid', 2_900],
      ['Hand Cream Trio', 'Three nourishing hand creams', 1_650],
    ],
  },
  {
    slug: 'grocery',
    name: 'Grocery',
    description: 'Pantry staples and treats',
    products: [
      ['Single Origin Coffee Beans 1kg', 'Medium roast Ethiopian beans', 2_799],
      ['Extra Virgin Olive Oil 1L', 'Cold-pressed Greek olive oil', 1_899],
      ['Dark Chocolate 85% 6-Pack', 'Fair trade dark chocolate bars', 1_499],
      ['Green Tea Sencha 100 Bags', 'Japanese green tea', 999],
      ['Basmati Rice 5kg', 'Aged long grain basmati rice', 1_599],
      ['Mixed Nuts 1kg', 'Roasted unsalted almonds, cashews and walnuts', 2_299],
    ],
  },
  {
    slug: 'garden',
    name: 'Garden',
    description: 'Tools and plants for the outdoors',
    products: [
      ['Garden Hose 30m', 'Kink-free expandable hose with spray nozzle', 3_999],
      ['Pruning Shears', 'Bypass secateurs with carbon steel blades', 2_499],
      ['Raised Garden Bed', 'Galvanised steel bed, 180 x 90 cm', 8_900],
      ['Solar Path Lights 8-Pack', 'Warm white LED lights for paths', 3_299],
      ['Compost Bin 300L', 'Recycled plastic composter with lid', 6_499],
      ['Herb Seed Collection', 'Basil, parsley, chives, thyme and more', 1_299],
    ],
  },
  {
    slug: 'office',
    name: 'Office Supplies',
    description: 'Desk, paper and organisation',
    products: [
      ['Ergonomic Office Chair', 'Mesh chair with lumbar support and 4D armrests', 34_900],
      ['Standing Desk Converter', 'Height-adjustable desk riser', 19_900],
      ['Dotted Notebook A5', 'Hardcover notebook, 160 pages', 1_699],
      ['Gel Pens 12-Pack', 'Quick-dry 0.5 mm gel pens', 1_099],
      ['Monitor Arm', 'Gas spring arm for screens up to 32 inches', 8_999],
      ['Desk Organiser', 'Bamboo organiser with drawer', 2_899],
    ],
  },
];

/** Products flattened in insertion order, with SKUs and stock. */
export function seedProducts() {
  return SEED_CATEGORIES.flatMap((category, c) =>
    category.products.map(([name, description, price], p) => ({
      sku: `SKU-${category.slug.slice(0, 4).toUpperCase()}-${String(c * 10 + p + 1).padStart(3, '0')}`,
      name,
      description,
      categorySlug: category.slug,
      priceAmount: price,
      currency: 'USD',
      stock: c === 0 && p === 0 ? 100_000 : 100 + ((c * 37 + p * 53) % 900),
    })),
  );
}
